/**
 * Whether a job may tell the engine that its clip is new (JobRequest.known_new). The engine's
 * own look for a finished clip is one bucket round trip before yt-dlp starts; the Worker asks the
 * same while it reads the promoted yt-dlp build (./extractor-build.ts), a Durable Object round
 * trip it makes anyway, so the engine can start at once. Only a plain first run asks: `force`
 * does not look, a `follow` joins what runs, a canary writes nothing. When the bucket cannot be
 * asked, the engine looks itself, as before.
 */

import type { JobRequestInput } from "../../shared/job.ts";
import { keys } from "../../shared/keys.ts";
import type { WorkerConfig } from "./config.ts";
import { bucketStorage } from "./storage.ts";

export async function knownNew(
  env: { BUCKET: R2Bucket },
  config: WorkerConfig,
  request: JobRequestInput,
): Promise<boolean> {
  if (request.force || request.follow || request.canary) return false;
  try {
    return !(await bucketStorage(env, config).exists(keys.manifest(request.clip_id)));
  } catch {
    return false;
  }
}
