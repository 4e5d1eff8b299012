/**
 * The scheduled canary and what /health makes of it, in workerd: the real `scheduled` handler
 * runs the fixture clip through the real engine process (nothing written to the bucket), and
 * the EngineMonitor Durable Object keeps the verdict that /health reports without a probe.
 */
import { createScheduledController } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import type { ClipStatus, Health } from "../../shared/schemas.ts";
import { runCanary } from "../src/canary.ts";
import worker from "../src/index.ts";
import { call, json } from "./helpers.ts";

const monitor = () => env.ENGINE_MONITOR.get(env.ENGINE_MONITOR.idFromName("engine"));
const health = async () => json<Health>(await call("/health", { sign: false }));

describe("canary", () => {
  it("is off without CANARY_CLIP_ID", async () => {
    expect(await runCanary(env)).toEqual({ ran: false, reason: "CANARY_CLIP_ID is not set" });
  });

  it("refuses a CANARY_CLIP_ID that is no clip id", async () => {
    const outcome = await runCanary({ ...env, CANARY_CLIP_ID: "not a clip!" });
    expect(outcome).toEqual({
      ran: false,
      reason: "CANARY_CLIP_ID is not a clip id or clip URL (invalid_characters)",
    });
  });

  it("runs from the cron trigger through the engine, writes nothing, and /health says ok", async () => {
    await worker.scheduled(createScheduledController({ cron: "*/30 * * * *" }), {
      ...env,
      CANARY_CLIP_ID: "tone-canary",
    });
    const body = await health();
    expect(body.extractor).toMatchObject({ state: "ok", summary: "ok", last_error: null });
    expect(body.extractor.yt_dlp).toMatch(/^\d{4}\.\d{2}\.\d{2}/);
    expect(body.extractor.checked_at).not.toBeNull();
    // The canary's artifacts were produced and discarded: the bucket has none of them.
    const status = await json<ClipStatus>(await call("/clip-status/tone-canary"));
    expect(status).toMatchObject({ audio_processed: false, video_stored: false });
  });

  it("reports 'outdated since' with the yt-dlp version after an extractor failure, and ok after a success", async () => {
    const brokenAt = Date.parse("2026-11-20T06:00:00Z");
    const tools = { ffmpeg: "5.1.8", yt_dlp: "2026.08.19" };
    const outdated = "yt-dlp could not read the source page; its Twitch support is probably outdated";
    await monitor().observe({
      at: brokenAt,
      error_code: "extractor_outdated",
      error: outdated,
      tools,
      ran_extractor: true,
    });
    // A later unrelated failure (a deleted clip) neither clears nor moves the breakage.
    await monitor().observe({
      at: brokenAt + 60_000,
      error_code: "not_found",
      error: "gone",
      tools,
      ran_extractor: true,
    });
    let body = await health();
    expect(body.extractor).toMatchObject({
      yt_dlp_age_days: expect.any(Number),
      yt_dlp_warning: expect.stringContaining("yt-dlp 2026.08.19 is"),
      state: "outdated",
      summary: "outdated since 2026-11-20T06:00:00.000Z (yt-dlp 2026.08.19)",
      since: "2026-11-20T06:00:00.000Z",
      last_error: outdated,
    });
    // A skipped clip proves nothing either: yt-dlp did not run.
    await monitor().observe({ at: brokenAt + 120_000, error_code: null, error: null, tools, ran_extractor: false });
    expect((await health()).extractor.state).toBe("outdated");

    const outcome = await runCanary({ ...env, CANARY_CLIP_ID: "https://clips.twitch.tv/tone-canary2" });
    expect(outcome).toMatchObject({ ran: true, observation: { error_code: null } });
    body = await health();
    expect(body.extractor).toMatchObject({ state: "ok", summary: "ok", last_error: null });
  });
});
