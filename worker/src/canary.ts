/**
 * The canary: on a schedule, one public clip (CANARY_CLIP_ID) runs through the engine with
 * `canary: true` — extraction, download, decoding and chunking all happen, nothing is written to
 * the bucket — so a Twitch change that breaks yt-dlp is noticed before a caller's clip fails.
 * Without CANARY_CLIP_ID it runs only after real jobs found yt-dlp outdated, on the latest such
 * clip. Its outcome feeds the EngineMonitor that `/health` reads, and then the yt-dlp channel
 * (extractor-channel.ts): a failure that says yt-dlp is outdated has a newer build tried on the
 * same clip, and promoted when it passes.
 */
import { parseClipId } from "../../shared/clip-id.ts";
import { ClipAudioError } from "../../shared/errors.ts";
import type { ExtractorBuild } from "../../shared/job.ts";
import { loadConfig } from "./config.ts";
import {
  type EngineMonitorApi,
  type EngineObservation,
  engineMonitor,
  engineObservation,
} from "./durable/engine-monitor.ts";
import { runEngineJob } from "./engine.ts";
import { tendExtractor } from "./extractor-channel.ts";
import { log } from "./log.ts";

/** A canary clip is short; one that has not finished in this long counts as a timeout. */
const CANARY_TIMEOUT_SECONDS = 5 * 60;

export type CanaryOutcome = { ran: false; reason: string } | { ran: true; observation: EngineObservation };

/**
 * One canary run, then the channel tended. `monitor`: the EngineMonitor's stub, or the object
 * itself when its alarm runs this (real jobs found yt-dlp outdated), so it never calls itself.
 */
export async function runCanary(env: Env, monitor: EngineMonitorApi = engineMonitor(env)): Promise<CanaryOutcome> {
  const loaded = loadConfig(env);
  if (!loaded.ok) return { ran: false, reason: `configuration error: ${loaded.problem}` };
  // Without a canary clip of its own, the service heals on the clip a real job found outdated.
  const configured = loaded.config.CANARY_CLIP_ID || (await monitor.lastOutdatedClip());
  if (!configured) return { ran: false, reason: "CANARY_CLIP_ID is not set" };
  const parsed = parseClipId(configured);
  if (!parsed.ok) return { ran: false, reason: `CANARY_CLIP_ID is not a clip id or clip URL (${parsed.problem})` };

  // The promoted build, named here (not by runEngineJob, which would ask the monitor again).
  const promoted = (await monitor.channel()).build;
  const current = promoted ? { channel: promoted.channel, tag: promoted.tag, sha256: promoted.sha256 } : null;
  const observation = await canaryRun(env, loaded.config, parsed.id, current);
  await monitor.observe(observation);
  const broken = observation.error_code === "extractor_outdated";
  log(broken ? "error" : observation.error_code ? "warn" : "info", {
    msg: broken ? "canary: yt-dlp can no longer read Twitch" : "canary ran",
    clip_id: parsed.id,
    error_code: observation.error_code,
    error: observation.error,
    yt_dlp: observation.tools?.yt_dlp ?? null,
  });
  await tendExtractor(env, loaded.config, { clipId: parsed.id, monitor }, observation, (build) =>
    canaryRun(env, loaded.config, parsed.id, build),
  );
  return { ran: true, observation };
}

/**
 * One canary run of `clipId`: with the promoted build (or the pin), or with `extractor` when a
 * build is on trial. Any failure becomes an observation, never an exception.
 */
export async function canaryRun(
  env: Env,
  config: Parameters<typeof runEngineJob>[1],
  clipId: string,
  extractor: ExtractorBuild | null,
): Promise<EngineObservation> {
  try {
    // The engine ends the stream at the deadline (`released`); the Worker never aborts it.
    const request = {
      clip_id: clipId,
      canary: true,
      force: true,
      follow_seconds: CANARY_TIMEOUT_SECONDS,
      extractor,
    };
    const outcome = await runEngineJob(env, config, request, () => undefined);
    if (outcome.kind === "ended") return engineObservation(outcome.event);
    if (outcome.kind === "detached")
      return failure("container_unavailable", `The canary's stream was lost: ${outcome.reason}`);
    return failure("timeout", `The canary clip did not finish within ${CANARY_TIMEOUT_SECONDS / 60} minutes`);
  } catch (error) {
    const known = error instanceof ClipAudioError ? error : new ClipAudioError("internal", String(error));
    return failure(known.code, known.message);
  }
}

function failure(code: EngineObservation["error_code"], message: string): EngineObservation {
  return { at: Date.now(), error_code: code, error: message, tools: null, ran_extractor: true };
}
