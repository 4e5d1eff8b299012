/** The yt-dlp channel as /health shows it (ExtractorStatus in schemas.ts; worker/src/extractor-channel.ts). */
import { z } from "zod";

export const ExtractorBuildStatus = z.object({
  channel: z.enum(["stable", "nightly"]),
  tag: z.string(),
  sha256: z.string(),
  promoted_at: z.string(),
  reason: z.string(),
});
export type ExtractorBuildStatus = z.infer<typeof ExtractorBuildStatus>;

export const ExtractorChange = z.object({
  kind: z.enum(["promotion", "rollback"]),
  at: z.string(),
  channel: z.enum(["stable", "nightly"]),
  tag: z.string(),
  reason: z.string(),
});
export type ExtractorChange = z.infer<typeof ExtractorChange>;

export const ExtractorTrial = z.object({
  at: z.string(),
  channel: z.enum(["stable", "nightly"]),
  /** null when no build could be obtained. */
  tag: z.string().nullable(),
  /** passed: promoted; failed: the canary failed on it; refused: it failed verification; unavailable: not fetched. */
  outcome: z.enum(["passed", "failed", "refused", "unavailable", "current"]),
  detail: z.string().nullable(),
});
export type ExtractorTrial = z.infer<typeof ExtractorTrial>;
