/**
 * Health: the bucket and Durable Objects are checked on every call. The engine is never woken
 * for it: what is reported is what the last job or canary told the EngineMonitor (versions,
 * whether yt-dlp still reads Twitch). Only a local engine process (CONTAINER_URL), which has no
 * sleep to be kept from, is asked directly.
 */
import type { EngineHealth, Health } from "../../../shared/schemas.ts";
import { ENGINE_MONITOR_NAME } from "../durable/engine-monitor.ts";
import { engineHealth } from "../engine.ts";
import { engineSettingsProblem } from "../engine-settings.ts";
import type { OperationContext } from "./context.ts";

export async function health({ env, config, storage }: OperationContext): Promise<Health> {
  const monitor = env.ENGINE_MONITOR.get(env.ENGINE_MONITOR.idFromName(ENGINE_MONITOR_NAME));
  const [bucketOk, cacheOk, known, probed] = await Promise.all([
    storage.exists("health-check").then(
      () => true,
      () => false,
    ),
    env.RATE_LIMITER.get(env.RATE_LIMITER.idFromName("health-check"))
      .hit(1_000_000, 1_000)
      .then(
        () => true,
        () => false,
      ),
    monitor.status().catch(() => null),
    config.CONTAINER_URL ? engineHealth(env, config) : Promise.resolve(undefined),
  ]);
  // Judged from the settings the Worker forwards, so no engine is woken for it: a production
  // engine without bucket credentials refuses to start, and every clip would fail.
  const engineProblem = engineSettingsProblem(env, config);
  const problems = [
    ...(bucketOk ? [] : ["the bucket did not answer through the BUCKET binding"]),
    ...(cacheOk ? [] : ["the Durable Objects did not answer"]),
    ...(engineProblem ? [engineProblem] : []),
  ];
  const body: Health = {
    status: problems.length === 0 ? "healthy" : "unhealthy",
    ffmpeg_available: (probed?.ffmpeg ?? known?.tools?.ffmpeg) != null,
    // The bucket is configured when the Worker reads it and the engine can write to it.
    r2_configured: bucketOk && !engineProblem,
    cache_healthy: cacheOk,
    cache_type: "DurableObject",
    container: engineView(probed, known?.tools ?? null),
    extractor: known?.extractor ?? {
      state: "unknown",
      summary: "unknown (engine monitor unavailable)",
      since: null,
      yt_dlp: null,
      yt_dlp_age_days: null,
      yt_dlp_warning: null,
      checked_at: null,
      last_error: null,
    },
    problems,
  };
  return body;
}

/** A live probe when there was one (null: it did not answer), else the last versions a job reported. */
function engineView(
  probed: EngineHealth | null | undefined,
  known: { ffmpeg: string | null; yt_dlp: string | null; seen_at: number } | null,
): Health["container"] {
  if (probed !== undefined) {
    return {
      state: probed ? probed.status : "unreachable",
      ffmpeg: probed?.ffmpeg ?? null,
      yt_dlp: probed?.yt_dlp ?? null,
      checked_at: new Date().toISOString(),
    };
  }
  return {
    state: known ? "last seen by a job" : "unknown (no job since deploy)",
    ffmpeg: known?.ffmpeg ?? null,
    yt_dlp: known?.yt_dlp ?? null,
    checked_at: known ? new Date(known.seen_at).toISOString() : null,
  };
}
