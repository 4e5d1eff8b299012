/**
 * The yt-dlp channel, tended after every canary run (canary.ts): when the canary says yt-dlp
 * can no longer read Twitch, the engine fetches the next channel's newest build (verified
 * against yt-dlp's signing key, ytdlp-channel/ in the engine), the canary clip runs on it with
 * nothing written, and only a build that passes is promoted in the EngineMonitor, whence every
 * job request names it (extractor-build.ts). A promoted build the canary then fails on is
 * rolled back to the pin. EXTRACTOR_CHANNEL chooses how (README, "yt-dlp channels"):
 *   pinned          never leave the image's release (a promotion is rolled back)
 *   auto            the pin until it is outdated; then stable's newest, else nightly's
 *   stable|nightly  that channel's newest build, whenever a newer one passes the canary
 */
import { signRequest } from "../../shared/hmac.ts";
import { ENGINE_ROUTES, type ExtractorBuild, type ExtractorChannel, ExtractorResolved } from "../../shared/job.ts";
import type { WorkerConfig } from "./config.ts";
import type { EngineMonitorApi, EngineObservation } from "./durable/engine-monitor.ts";
import { type ChannelRecord, isRejected, sameBuild } from "./durable/extractor-channel-state.ts";
import { engineFetch } from "./engine.ts";
import { log } from "./log.ts";

/** Fetching and verifying a ~3 MB zipapp: generous, the canary has minutes. */
const RESOLVE_TIMEOUT_MS = 120_000;

type Trial = NonNullable<ChannelRecord["last_trial"]>;
type Resolved = { ok: true; build: ExtractorBuild } | { ok: false; outcome: "refused" | "unavailable"; detail: string };

/** The channels to try after this canary run, in order. */
function channelsToTry(policy: WorkerConfig["EXTRACTOR_CHANNEL"], outdated: boolean): ExtractorChannel[] {
  if (policy === "pinned") return [];
  if (policy === "auto") return outdated ? ["stable", "nightly"] : [];
  return [policy];
}

/**
 * Rolls back a promoted build the canary failed on, then tries channel builds as the policy
 * says, promoting the first that passes. `trial` runs the canary clip (`clipId`, whose engine
 * instance also resolves the build, so it downloads it once) on a build.
 */
export async function tendExtractor(
  env: Env,
  config: WorkerConfig,
  { clipId, monitor }: { clipId: string; monitor: EngineMonitorApi },
  observation: EngineObservation,
  trial: (build: ExtractorBuild) => Promise<EngineObservation>,
): Promise<void> {
  const policy = config.EXTRACTOR_CHANNEL;
  let record = await monitor.channel();
  // /health shows the operator's choice as this run found it (a write only when it changed).
  if (record.policy !== policy) await monitor.recordPolicy(policy);
  const outdated = observation.error_code === "extractor_outdated";
  if (policy === "pinned" && record.build) {
    record = await monitor.rollBack("EXTRACTOR_CHANNEL=pinned: the operator pinned the image's release");
  }
  // Only a failure of the promoted build itself condemns it (not one of the pin's, say).
  if (outdated && record.build && sameBuild(observation.tools?.yt_dlp_build, record.build)) {
    const reason = `the canary failed on it with extractor_outdated: ${observation.error ?? ""}`.trim();
    record = await monitor.rollBack(reason);
    log("error", { msg: "yt-dlp build rolled back", tag: record.last_change?.build.tag, reason });
  }
  const ranOn = observation.tools?.yt_dlp_build
    ? `${observation.tools.yt_dlp_build.channel} ${observation.tools.yt_dlp_build.tag}`
    : `the pinned yt-dlp ${observation.tools?.yt_dlp ?? ""}`.trim();
  for (const channel of channelsToTry(policy, outdated)) {
    const resolved = await resolveBuild(env, config, clipId, channel);
    const at = Date.now();
    if (!resolved.ok) {
      await monitor.recordTrial({ at, channel, tag: null, outcome: resolved.outcome, detail: resolved.detail }, policy);
      log("warn", {
        msg: "yt-dlp channel build not obtained",
        channel,
        outcome: resolved.outcome,
        detail: resolved.detail,
      });
      continue;
    }
    const { build } = resolved;
    const base: Omit<Trial, "outcome" | "detail"> = { at, channel, tag: build.tag };
    if (sameBuild(build, record.build)) {
      await monitor.recordTrial({ ...base, outcome: "current", detail: "already promoted" }, policy);
      return;
    }
    if (isRejected(record, build)) {
      await monitor.recordTrial({ ...base, outcome: "failed", detail: "rolled back earlier" }, policy);
      continue;
    }
    const result = await trial(build);
    // A trial the engine ran on its pin instead (the build did not verify there) proves nothing.
    const ranBuild = sameBuild(result.tools?.yt_dlp_build, build);
    if (result.error_code === null && ranBuild) {
      const why = outdated
        ? `the canary failed with extractor_outdated on ${ranOn} and passed on ${channel} ${build.tag}`
        : `EXTRACTOR_CHANNEL=${policy}: ${channel} ${build.tag} passed the canary`;
      await monitor.promote(build, why, result.at);
      await monitor.observe(result);
      await monitor.recordTrial({ ...base, outcome: "passed", detail: null }, policy);
      log("info", { msg: "yt-dlp build promoted", channel, tag: build.tag, reason: why });
      await retryOutdatedClips(env, await monitor.takeOutdatedClips());
      return;
    }
    const detail = ranBuild ? `${result.error_code}: ${result.error ?? ""}` : "the engine could not obtain the build";
    await monitor.recordTrial({ ...base, outcome: "failed", detail }, policy);
    log("warn", { msg: "yt-dlp channel build failed the canary", channel, tag: build.tag, detail });
  }
}

/** Clips that failed as outdated since the breakage run once more, on the promoted build. */
async function retryOutdatedClips(env: Env, clipIds: string[]): Promise<void> {
  let retried = 0;
  for (const clipId of clipIds) {
    const job = env.CLIP_JOBS.get(env.CLIP_JOBS.idFromName(clipId));
    if (await job.retryOutdated(clipId).catch(() => false)) retried++;
  }
  if (clipIds.length > 0) log("info", { msg: "clips that failed as outdated retried", retried, of: clipIds.length });
}

/** Asks the canary clip's engine for a channel's newest build, downloaded and verified there. */
async function resolveBuild(
  env: Env,
  config: WorkerConfig,
  clipId: string,
  channel: ExtractorChannel,
): Promise<Resolved> {
  const body = JSON.stringify({ channel });
  try {
    const headers = {
      "content-type": "application/json",
      ...(await signRequest(config.HMAC_SHARED_SECRET ?? "", body)),
    };
    const init = { method: "POST", body, headers, signal: AbortSignal.timeout(RESOLVE_TIMEOUT_MS) };
    const response = await engineFetch(env, config, ENGINE_ROUTES.extractorResolve, init, clipId);
    const answer = (await response.json().catch(() => null)) as { detail?: string; code?: string } | null;
    if (response.ok) {
      const parsed = ExtractorResolved.safeParse(answer);
      if (parsed.success) return { ok: true, build: parsed.data.build };
      return { ok: false, outcome: "unavailable", detail: "the engine's answer was not a build" };
    }
    const outcome = answer?.code === "refused" ? "refused" : "unavailable";
    return { ok: false, outcome, detail: answer?.detail ?? `the engine answered HTTP ${response.status}` };
  } catch (error) {
    return {
      ok: false,
      outcome: "unavailable",
      detail: `the engine could not be reached: ${(error as Error).message}`,
    };
  }
}
