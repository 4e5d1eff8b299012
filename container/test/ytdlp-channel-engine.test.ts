/**
 * Two real engine processes whose pinned yt-dlp Twitch broke (a stand-in that fails like
 * 2026.08.19 on clips) and a stand-in release server whose nightly is a real yt-dlp zipapp
 * (Debian's, packed at test time), signed with this run's key: the canary fails with
 * `extractor_outdated` on the pin; the Worker's resolve finds and verifies the nightly; canary
 * and clip jobs naming that build succeed on both instances, each having fetched and verified
 * it once, and report the same build.
 */
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { signRequest } from "../../shared/hmac.ts";
import { type ExtractorBuild, type FinalJobEvent, JobEvent } from "../../shared/job.ts";
import { NIGHTLY_REPO } from "../../test/support/channel-tags.ts";
import { type EngineProcess, startEngineProcess } from "../../test/support/engine-process.ts";
import { type FixtureServer, startFixtureServer } from "../../test/support/fixture-server.ts";
import {
  type ReleaseServer,
  signedRelease,
  startReleaseServer,
  testSigningKey,
} from "../../test/support/release-server.ts";
import { type LocalS3, startS3 } from "../../test/support/s3.ts";
import { pinDirectory, realZipapp, twitchBrokenZipapp } from "../../test/support/ytdlp-builds.ts";
import { RELEASES_URL_VARIABLE } from "../src/ytdlp-channel/releases.ts";
import { sha256, TEST_KEY_VARIABLE } from "../src/ytdlp-channel/signature.ts";

const SECRET = "channel-test-secret";
const NIGHTLY_TAG = "2026.12.05.232911";
let fixtures: FixtureServer;
let s3: LocalS3;
let releases: ReleaseServer;
let engines: EngineProcess[] = [];
let nightlySha = "";

beforeAll(async () => {
  const key = await testSigningKey();
  [fixtures, s3, releases] = await Promise.all([startFixtureServer(), startS3(), startReleaseServer()]);
  const good = realZipapp().bytes;
  nightlySha = sha256(good);
  releases.publish(NIGHTLY_REPO, NIGHTLY_TAG, await signedRelease(good, key));
  const pin = pinDirectory(twitchBrokenZipapp("2026.08.19").path);
  const env = {
    ...s3.env,
    HMAC_SHARED_SECRET: SECRET,
    CLIP_SOURCE_URL_TEMPLATE: fixtures.clipTemplate,
    STORE_VIDEO: "false",
    PATH: `${pin}:${process.env.PATH}`,
    [RELEASES_URL_VARIABLE]: releases.url,
    [TEST_KEY_VARIABLE]: key.armoredPublic,
  };
  // Two instances share nothing on disk, as two containers do.
  const workDir = () => mkdtempSync(join(tmpdir(), "engine-"));
  engines = await Promise.all([
    startEngineProcess({ ...env, WORK_DIR: workDir() }),
    startEngineProcess({ ...env, WORK_DIR: workDir() }),
  ]);
}, 180_000);
afterAll(async () => {
  await Promise.all(engines.map((engine) => engine.stop()));
  await Promise.all([fixtures?.close(), s3?.close(), releases?.close()]);
});

async function signedPost(url: string, body: unknown): Promise<Response> {
  const text = JSON.stringify(body);
  const headers = { "content-type": "application/json", ...(await signRequest(SECRET, text)) };
  return fetch(url, { method: "POST", body: text, headers });
}

async function finalEvent(engine: EngineProcess, request: Record<string, unknown>): Promise<FinalJobEvent> {
  const response = await signedPost(`${engine.url}/jobs`, request);
  const events = (await response.text())
    .trim()
    .split("\n")
    .map((line) => JobEvent.parse(JSON.parse(line)));
  const last = events.at(-1);
  if (last?.type !== "completed" && last?.type !== "failed")
    throw new Error(`no final event: ${JSON.stringify(events)}`);
  return last;
}

describe("yt-dlp channel on real engines", () => {
  it("fails the canary with extractor_outdated on the Twitch-broken pin", async () => {
    const final = await finalEvent(engines[0] as EngineProcess, {
      clip_id: "tone-heal-canary",
      canary: true,
      force: true,
    });
    expect(final).toMatchObject({ type: "failed", error: { code: "extractor_outdated" } });
    expect(final.tools).toMatchObject({ yt_dlp: "2026.08.19", yt_dlp_build: null });
  });

  it("resolves only signed requests, and answers the nightly's newest verified build", async () => {
    const unsigned = await fetch(`${engines[0]?.url}/extractor/resolve`, {
      method: "POST",
      body: JSON.stringify({ channel: "nightly" }),
    });
    expect(unsigned.status).toBe(401);
    const response = await signedPost(`${engines[0]?.url}/extractor/resolve`, { channel: "nightly" });
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({ build: { channel: "nightly", tag: NIGHTLY_TAG, sha256: nightlySha } });
    const missing = await signedPost(`${engines[0]?.url}/extractor/resolve`, { channel: "stable" });
    expect(missing.status).toBe(502);
    expect(await missing.json()).toMatchObject({ code: "unavailable" });
  });

  it("keeps a canary run on trial apart from one on the pin for the same clip", async () => {
    const build: ExtractorBuild = { channel: "nightly", tag: NIGHTLY_TAG, sha256: nightlySha };
    const engine = engines[0] as EngineProcess;
    const [pinned, trial] = await Promise.all([
      finalEvent(engine, { clip_id: "tone-heal-both", canary: true, force: true, extractor: null }),
      finalEvent(engine, { clip_id: "tone-heal-both", canary: true, force: true, extractor: build }),
    ]);
    expect(pinned).toMatchObject({ type: "failed", tools: { yt_dlp_build: null } });
    expect(trial).toMatchObject({ type: "completed", tools: { yt_dlp_build: build } });
  });

  it("runs the named build on two instances: both converge on it and the clip succeeds", async () => {
    const build: ExtractorBuild = { channel: "nightly", tag: NIGHTLY_TAG, sha256: nightlySha };
    const finals = await Promise.all(
      engines.map((engine, index) => finalEvent(engine, { clip_id: `tone-heal-${index}`, extractor: build })),
    );
    for (const final of finals) {
      expect(final).toMatchObject({ type: "completed", tools: { yt_dlp: NIGHTLY_TAG, yt_dlp_build: build } });
    }
    // The manifest names the build too.
    expect(finals[0]?.type === "completed" && finals[0].result.manifest.tools.yt_dlp).toBe(NIGHTLY_TAG);
    // Each instance fetched the zipapp once (engine 0 when it resolved, engine 1 for its job).
    expect(releases.requests.filter((path) => path.endsWith(`/${NIGHTLY_TAG}/yt-dlp`))).toHaveLength(2);
    // A later job names no build: the pin runs it, as before any promotion.
    const pinned = await finalEvent(engines[1] as EngineProcess, { clip_id: "tone-heal-pin", extractor: null });
    expect(pinned).toMatchObject({ type: "failed", error: { code: "extractor_outdated" } });
  });
});
