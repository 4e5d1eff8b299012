/**
 * Every job request names the yt-dlp build it runs: the one the EngineMonitor records as
 * promoted, or null for the image's pinned release. This is how a promotion reaches every engine
 * instance with no redeploy and no engine-to-engine talk: an instance started later learns it
 * from its first job. One Durable Object read per job start (milliseconds, against a job's
 * seconds); when the monitor cannot be read the request names nothing and the pin runs it.
 */
import type { ExtractorBuild, JobRequestInput } from "../../shared/job.ts";
import { ENGINE_MONITOR_NAME, type EngineMonitor } from "./durable/engine-monitor.ts";
import { log } from "./log.ts";

interface MonitorEnv {
  ENGINE_MONITOR?: DurableObjectNamespace<EngineMonitor>;
}

/** The promoted build, or null (the pin); undefined when it could not be read. */
export async function promotedBuild(env: object): Promise<ExtractorBuild | null | undefined> {
  const namespace = (env as MonitorEnv).ENGINE_MONITOR;
  if (!namespace) return undefined;
  try {
    const record = await namespace.get(namespace.idFromName(ENGINE_MONITOR_NAME)).channel();
    return record.build ? { channel: record.build.channel, tag: record.build.tag, sha256: record.build.sha256 } : null;
  } catch (error) {
    log("warn", { msg: "engine monitor unavailable: the job runs the pinned yt-dlp", error: String(error) });
    return undefined;
  }
}

/** The request with its build: one it names already (a trial, an explicit pin) is kept. */
export async function withExtractorBuild(env: object, request: JobRequestInput): Promise<JobRequestInput> {
  if (request.extractor !== undefined) return request;
  const build = await promotedBuild(env);
  return build === undefined ? request : { ...request, extractor: build };
}
