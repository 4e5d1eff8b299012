/** What a ClipJob stores: the clip's state as callers see it, and the background work it owes. */
import type { ErrorCode } from "../../../shared/errors.ts";
import type { ClipResult, ClipState } from "../../../shared/schemas.ts";

export interface ClipJobState {
  clip_id: string;
  state: ClipState;
  progress: number | null;
  error: string | null;
  error_code: ErrorCode | null;
  result: ClipResult | null;
  /** Failed attempts of the current background work so far. */
  attempts: number;
  /** When the next attempt starts, while a retry is pending (state `queued`). */
  retry_at?: string | null;
  /** The error of the last failed attempt, while the work goes on. */
  last_error?: string | null;
  /** Interruptions since the last failed attempt (a stream lost, an engine restarting). */
  interruptions?: number;
  updated_at: string;
}

/** Tasks and callbacks waiting for the clip's background work to end. */
export interface PendingWork {
  force: boolean;
  taskIds: string[];
  callbackUrls: string[];
}
