import { execa } from "execa";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { signRequest } from "../../shared/hmac.ts";
import { JobEvent } from "../../shared/job.ts";
import { lines } from "../../shared/lines.ts";
import { EngineHealth } from "../../shared/schemas.ts";
import { STALE_AFTER_DAYS } from "../../shared/ytdlp-age.ts";
import { type EngineProcess, startEngineProcess } from "../../test/support/engine-process.ts";
import { type FixtureServer, startFixtureServer } from "../../test/support/fixture-server.ts";
import { type LocalS3, startS3 } from "../../test/support/s3.ts";

const SECRET = "engine-test-secret";
let fixtures: FixtureServer;
let s3: LocalS3;
let engine: EngineProcess;

beforeAll(async () => {
  [fixtures, s3] = await Promise.all([startFixtureServer(), startS3()]);
  engine = await startEngineProcess({
    ...s3.env,
    HMAC_SHARED_SECRET: SECRET,
    CLIP_SOURCE_URL_TEMPLATE: fixtures.clipTemplate,
    STORE_VIDEO: "false",
  });
}, 120_000);
afterAll(async () => {
  await engine?.stop();
  await Promise.all([fixtures?.close(), s3?.close()]);
});

async function postJob(body: unknown, signed = true): Promise<Response> {
  const text = JSON.stringify(body);
  const headers = { "content-type": "application/json", ...(signed ? await signRequest(SECRET, text) : {}) };
  return fetch(`${engine.url}/jobs`, { method: "POST", body: text, headers });
}

const events = async (response: Response) =>
  (await response.text())
    .trim()
    .split("\n")
    .map((line) => JobEvent.parse(JSON.parse(line)));

describe("container service", () => {
  it("reports tool versions on /health without auth", async () => {
    const health = (await (await fetch(`${engine.url}/health`)).json()) as { ffmpeg: string };
    expect(health).toMatchObject({ status: "ok", active_jobs: 0, max_concurrency: 2 });
    expect(health.ffmpeg).toMatch(/\d/);
  });

  it("says how old yt-dlp is on /health, and warns when it is likely too old for Twitch", async () => {
    const health = EngineHealth.parse(await (await fetch(`${engine.url}/health`)).json());
    // The expected age from the binary the engine finds on PATH, counted here, not by the
    // engine's own ytDlpAgeDays (unit-tested by example in ytdlp-age.test.ts).
    const version = (await execa("yt-dlp", ["--version"])).stdout.trim();
    expect(health.yt_dlp).toBe(version);
    const [year, month, day] = version.split(".").map(Number) as [number, number, number];
    const age = Math.floor((Date.now() - Date.UTC(year, month - 1, day)) / 86_400_000);
    expect(health.yt_dlp_age_days).toBe(age);
    // Which branch depends on the yt-dlp installed (Debian's 2023.03.04 here: warned).
    if (age > STALE_AFTER_DAYS) expect(health.yt_dlp_warning).toContain(`is ${age} days old`);
    else expect(health.yt_dlp_warning).toBeNull();
  });

  it("refuses unsigned and replayed job requests", async () => {
    expect((await postJob({ clip_id: "tone-srv" }, false)).status).toBe(401);
    const text = JSON.stringify({ clip_id: "tone-srv" });
    const headers = { "content-type": "application/json", ...(await signRequest(SECRET, text)) };
    await (await fetch(`${engine.url}/jobs`, { method: "POST", body: text, headers })).text();
    const replay = await fetch(`${engine.url}/jobs`, { method: "POST", body: text, headers });
    expect(replay.status).toBe(401);
    expect(await replay.json()).toEqual({ detail: "Security validation failed: nonce already used" });
  });

  it("streams state events and ends with exactly one completed event", async () => {
    const list = await events(await postJob({ clip_id: "tone-stream", force: true }));
    expect(list.filter((e) => e.type === "state").map((e) => (e as { stage: string }).stage)).toEqual([
      "downloading",
      "extracting",
      "uploading",
    ]);
    expect(list.filter((e) => e.type === "completed" || e.type === "failed")).toHaveLength(1);
    expect(list.at(-1)).toMatchObject({ type: "completed", result: { clip_id: "tone-stream", skipped: false } });
  });

  it("ends a failing job with a failed event carrying the code and the engine's tool versions", async () => {
    const list = await events(await postJob({ clip_id: "noaudio-srv" }));
    expect(list.at(-1)).toEqual({
      type: "failed",
      error: { code: "extract_failed", message: "The source has no audio stream", retryable: false },
      // yt_dlp_build null: the pinned yt-dlp ran it, no channel build (ytdlp-channel/).
      tools: {
        ffmpeg: expect.stringMatching(/^\d/),
        yt_dlp: expect.stringMatching(/^\d{4}\.\d{2}\.\d{2}/),
        yt_dlp_build: null,
      },
    });
  });

  it("cancels a running job on DELETE", async () => {
    const response = await postJob({ clip_id: "slow-cancel" });
    const stream = lines(response.body as ReadableStream<Uint8Array>)[Symbol.asyncIterator]();
    const seen: JobEvent[] = [];
    const next = async () => {
      const line = await stream.next();
      if (!line.done && line.value) seen.push(JobEvent.parse(JSON.parse(line.value)));
      return !line.done;
    };
    // Cancel once the job says it is downloading (the slow source never finishes by itself).
    while ((await next()) && !seen.some((e) => e.type === "state" && e.stage === "downloading"));
    const headers = await signRequest(SECRET, "");
    const cancel = await fetch(`${engine.url}/jobs/slow-cancel`, { method: "DELETE", headers });
    expect(cancel.status).toBe(204);
    while (await next());
    expect(seen.at(-1)).toMatchObject({ type: "failed", error: { code: "cancelled" } });
    const again = await fetch(`${engine.url}/jobs/slow-cancel`, {
      method: "DELETE",
      headers: await signRequest(SECRET, ""),
    });
    expect(again.status).toBe(404);
  }, 20_000);
});
