/**
 * Health: the bucket and Durable Objects are checked on every call; the engine only when it
 * is already known to be running (locally, CONTAINER_URL) or at most once per
 * ENGINE_PROBE_INTERVAL_MS, so a health check never keeps a sleeping container awake.
 */
import { Hono } from "hono";
import type { Health } from "../../../shared/schemas.ts";
import { engineHealth } from "../engine.ts";
import type { AppEnv } from "../types.ts";

/** At most one engine probe per isolate in this interval. */
const ENGINE_PROBE_INTERVAL_MS = 5 * 60_000;

let lastProbe: { at: number; health: Awaited<ReturnType<typeof engineHealth>> } | null = null;

export const health = new Hono<AppEnv>();

health.get("/health", async (c) => {
  const { config, storage } = c.var;
  const [bucketOk, cacheOk] = await Promise.all([
    storage.exists("health-check").then(
      () => true,
      () => false,
    ),
    c.env.RATE_LIMITER.get(c.env.RATE_LIMITER.idFromName("health-check"))
      .hit(1_000_000, 1_000)
      .then(
        () => true,
        () => false,
      ),
  ]);
  const probeDue = config.CONTAINER_URL !== null || !lastProbe || Date.now() - lastProbe.at > ENGINE_PROBE_INTERVAL_MS;
  if (probeDue) lastProbe = { at: Date.now(), health: await engineHealth(c.env, config) };
  const engine = lastProbe?.health ?? null;
  const body: Health = {
    status: bucketOk && cacheOk ? "healthy" : "unhealthy",
    ffmpeg_available: engine?.ffmpeg != null,
    r2_configured: bucketOk,
    cache_healthy: cacheOk,
    cache_type: "DurableObject",
    container: {
      state: engine ? engine.status : "unknown",
      ffmpeg: engine?.ffmpeg ?? null,
      yt_dlp: engine?.yt_dlp ?? null,
      checked_at: lastProbe ? new Date(lastProbe.at).toISOString() : null,
    },
  };
  return c.json(body, body.status === "healthy" ? 200 : 503);
});
