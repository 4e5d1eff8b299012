/** The view of a clip the pages and their live JSON share: its state, and for a failure what to do. */
import type { ErrorCode } from "../../../shared/errors.ts";
import type { ClipStatus } from "../../../shared/schemas.ts";
import { ADVICE } from "./advice.ts";

export interface ClipView {
  clip_id: string;
  state: ClipStatus["state"];
  progress: number | null;
  error: string | null;
  error_code: ErrorCode | null;
  advice: string | null;
}

/** The view of a clip the pages and their live JSON share. */
export function clipView(
  status: Pick<ClipStatus, "clip_id" | "state" | "progress" | "error">,
  errorCode: ErrorCode | null,
): ClipView {
  const failed = status.state === "failed";
  return {
    clip_id: status.clip_id,
    state: status.state,
    progress: status.progress,
    error: failed ? status.error : null,
    error_code: failed ? errorCode : null,
    advice: failed && errorCode ? ADVICE[errorCode] : null,
  };
}
