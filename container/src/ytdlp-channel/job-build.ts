/**
 * Which yt-dlp runs a job: the build its request names (the promoted one, or one on trial),
 * obtained and verified on this instance, else the pinned release. Every job request carries
 * the promoted build, so an instance started after a promotion runs it from its first job.
 */
import type { JobRequest } from "../../../shared/job.ts";
import { log } from "../../../shared/log.ts";
import { buildStore, type LocalBuild } from "./builds.ts";

/**
 * The request's build, or undefined for the pinned release. A build that cannot be fetched or
 * does not verify is never run: the job runs the pin instead, and its final event says so
 * (`tools.yt_dlp_build` null), so the Worker neither promotes nor blames that build for it.
 */
export async function jobBuild(workDir: string, request: JobRequest): Promise<LocalBuild | undefined> {
  if (!request.extractor) return undefined;
  try {
    return await buildStore(workDir).obtain(request.extractor);
  } catch (error) {
    log("warn", {
      msg: "the requested yt-dlp build is unavailable: the pinned release runs this job",
      clip_id: request.clip_id,
      channel: request.extractor.channel,
      tag: request.extractor.tag,
      reason: (error as Error).message,
    });
    return undefined;
  }
}
