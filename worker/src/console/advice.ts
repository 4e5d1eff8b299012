/** What an operator can do about each failure the engine reports (shown beside the message). */
import type { ErrorCode } from "../../../shared/errors.ts";

export const ADVICE: Record<ErrorCode, string> = {
  invalid_id: "Check the id: letters, digits, - and _ only, or paste the clip's URL (https://clips.twitch.tv/…).",
  not_found: "Twitch has no such clip (mistyped, or deleted). Check the id on Twitch; retrying will not help.",
  unavailable: "Twitch refuses this clip (private, subscriber-only or region-locked). Retry only once it is public.",
  too_long:
    "The source is longer than the engine accepts (MAX_SOURCE_DURATION). Process a shorter range with the CLI, or raise the limit.",
  download_failed:
    "The download broke off. Submit it again; if it keeps failing, look at the extractor canary below and the engine's network.",
  timeout:
    "A step ran past its time limit. Submit it again; if it repeats, raise DOWNLOAD_TIMEOUT_SECONDS or check the engine's load.",
  extract_failed:
    "ffmpeg found no usable audio (no audio track, or a broken file). Check that the clip plays with sound on Twitch.",
  storage_failed: "Writing to R2 failed. Submit it again; if it repeats, check Cloudflare's R2 status.",
  storage_misconfigured:
    "The engine cannot write to the bucket: check R2_BUCKET and the R2 access keys (wrangler secret put).",
  insufficient_disk: "The engine's disk was full. Submit it again later, or give the container more disk.",
  cancelled: "The job was cancelled. Submit it again if it is still wanted.",
  extractor_outdated:
    "yt-dlp no longer understands Twitch. With CANARY_CLIP_ID set, the service tries yt-dlp's newer signed builds on the canary clip and switches to the first that passes, with no deploy (the health panel's yt-dlp channel lines say what was tried); otherwise bump container/yt-dlp.release and deploy again.",
  tool_missing:
    "The engine lacks ffmpeg, yt-dlp or python3: install it in the container image (Dockerfile) or on PATH, then deploy again.",
  container_unavailable:
    "The engine container did not answer. Submit it again; if it persists, check the container's deployment and logs.",
  engine_restarting:
    "The engine was stopping (a rollout, a host move or a settings change) under this job. It is picked up again on its own; nothing to do.",
  internal:
    "An unexpected engine error. Submit it again once; if it repeats, read the Worker's and the container's logs.",
};
