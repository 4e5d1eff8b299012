/**
 * Channel builds are run only once verified: the release's SHA2-256SUMS signature against the
 * signing key, then the zipapp against the listed checksum. Against a local stand-in of GitHub's
 * release downloads (test/support/release-server.ts) signed with a key made for this run; the
 * production key is the pinned file, checked by its fingerprint.
 */
import { existsSync, mkdtempSync, readdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { ExtractorBuild } from "../../shared/job.ts";
import { NIGHTLY_REPO } from "../../test/support/channel-tags.ts";
import {
  type ReleaseServer,
  type SigningKey,
  signedRelease,
  startReleaseServer,
  testSigningKey,
} from "../../test/support/release-server.ts";
import { twitchBrokenZipapp } from "../../test/support/ytdlp-builds.ts";
import { BuildStore, MAX_BUILDS_ON_DISK } from "../src/ytdlp-channel/builds.ts";
import { RELEASES_URL_VARIABLE } from "../src/ytdlp-channel/releases.ts";
import {
  sha256,
  signingKey,
  TEST_KEY_VARIABLE,
  VerificationError,
  YT_DLP_KEY_FINGERPRINT,
} from "../src/ytdlp-channel/signature.ts";

let server: ReleaseServer;
let key: SigningKey;
let forger: SigningKey;
let zipapp: Uint8Array;

beforeAll(async () => {
  [server, key, forger] = await Promise.all([startReleaseServer(), testSigningKey(), testSigningKey("forger")]);
  zipapp = twitchBrokenZipapp("2026.12.01.000001").bytes;
  process.env[RELEASES_URL_VARIABLE] = server.url;
  process.env[TEST_KEY_VARIABLE] = key.armoredPublic;
}, 60_000);
afterAll(async () => {
  delete process.env[RELEASES_URL_VARIABLE];
  delete process.env[TEST_KEY_VARIABLE];
  await server?.close();
});

const store = () => new BuildStore(mkdtempSync(join(tmpdir(), "builds-")));
const filesIn = (dir: string): string[] =>
  existsSync(dir)
    ? readdirSync(dir, { recursive: true, withFileTypes: true })
        .filter((e) => e.isFile())
        .map((e) => e.name)
    : [];

describe("yt-dlp channel builds", () => {
  it("pins yt-dlp's own signing key, and refuses a test key in production", async () => {
    delete process.env[TEST_KEY_VARIABLE];
    try {
      expect((await signingKey()).getFingerprint()).toBe(YT_DLP_KEY_FINGERPRINT);
    } finally {
      process.env[TEST_KEY_VARIABLE] = key.armoredPublic;
    }
    await expect(signingKey({ [TEST_KEY_VARIABLE]: key.armoredPublic, ENVIRONMENT: "production" })).rejects.toThrow(
      /refused in production/,
    );
    // Nor does a production engine fetch builds from anywhere but GitHub.
    process.env.ENVIRONMENT = "production";
    try {
      await expect(store().newest("nightly")).rejects.toThrow("YT_DLP_RELEASES_URL is refused in production");
    } finally {
      delete process.env.ENVIRONMENT;
    }
  });

  it("downloads the channel's newest build, verifies it and keeps it executable", async () => {
    server.publish(NIGHTLY_REPO, "2026.12.01.000001", await signedRelease(zipapp, key));
    const builds = store();
    const local = await builds.newest("nightly");
    expect(local.build).toEqual({ channel: "nightly", tag: "2026.12.01.000001", sha256: sha256(zipapp) });
    expect(sha256(readFileSync(local.path))).toBe(sha256(zipapp));
    expect(statSync(local.path).mode & 0o111).not.toBe(0);
    // A second job's request is served from disk: no second download of the zipapp.
    const downloads = server.requests.filter((p) => p.endsWith("/2026.12.01.000001/yt-dlp")).length;
    await builds.obtain(local.build);
    expect(server.requests.filter((p) => p.endsWith("/2026.12.01.000001/yt-dlp")).length).toBe(downloads);
  });

  it("checks a cached build again on every use: one changed on disk is discarded, then fetched afresh", async () => {
    server.publish(NIGHTLY_REPO, "2026.12.01.000002", await signedRelease(zipapp, key));
    const builds = store();
    const local = await builds.newest("nightly");
    // What a compromised extraction (the same uid as the engine) could do to a later job.
    writeFileSync(local.path, "import os; os.system('echo pwned')");
    await expect(builds.obtain(local.build)).rejects.toThrow(/no longer matches its SHA-256/);
    expect(existsSync(local.path)).toBe(false);
    const again = await builds.obtain(local.build);
    expect(sha256(readFileSync(again.path))).toBe(local.build.sha256);
  });

  it("refuses a release whose checksum file is signed by another key, and keeps nothing", async () => {
    server.publish(NIGHTLY_REPO, "2026.12.02.000001", await signedRelease(zipapp, key, { forgedBy: forger }));
    const dir = mkdtempSync(join(tmpdir(), "builds-"));
    const failure = await new BuildStore(dir).newest("nightly").catch((error: unknown) => error);
    expect(failure).toBeInstanceOf(VerificationError);
    expect((failure as Error).message).toMatch(/SHA2-256SUMS\.sig does not verify/);
    expect(filesIn(dir)).toEqual([]);
  });

  it("refuses a zipapp that does not match the signed checksum, and keeps nothing", async () => {
    const other = sha256(Buffer.from("not this zipapp"));
    server.publish(NIGHTLY_REPO, "2026.12.03.000001", await signedRelease(zipapp, key, { listedSha256: other }));
    const dir = mkdtempSync(join(tmpdir(), "builds-"));
    const failure = await new BuildStore(dir).newest("nightly").catch((error: unknown) => error);
    expect(failure).toBeInstanceOf(VerificationError);
    expect((failure as Error).message).toContain(`has SHA-256 ${sha256(zipapp)}, not ${other}`);
    expect(filesIn(dir)).toEqual([]);
  });

  it("does not ask again for a build that just failed: the jobs naming it run the pin at once", async () => {
    const builds = store();
    const gone = { channel: "nightly" as const, tag: "2026.12.09.000001", sha256: sha256(zipapp) };
    await expect(builds.obtain(gone)).rejects.toThrow(/HTTP 404/);
    const asked = server.requests.length;
    await expect(builds.obtain(gone)).rejects.toThrow(/HTTP 404/);
    expect(server.requests.length).toBe(asked);
  });

  it("keeps the most recently used builds on disk and fetches a removed one again", async () => {
    const dir = mkdtempSync(join(tmpdir(), "builds-"));
    const builds = new BuildStore(dir);
    const made: ExtractorBuild[] = [];
    for (let i = 0; i <= MAX_BUILDS_ON_DISK; i++) {
      const tag = `2026.11.0${i + 1}.000001`;
      const app = Buffer.concat([zipapp, Buffer.from(`#${i}`)]);
      server.publish(NIGHTLY_REPO, tag, await signedRelease(app, key), false);
      made.push({ channel: "nightly", tag, sha256: sha256(app) });
      await builds.obtain(made[i] as ExtractorBuild);
      // The first build stays in use: asked for again after each new one.
      await builds.obtain(made[0] as ExtractorBuild);
    }
    const kept = readdirSync(join(dir, "yt-dlp-builds")).sort();
    expect(kept).toHaveLength(MAX_BUILDS_ON_DISK);
    expect(kept).toContain(made[0]?.sha256);
    expect(kept).not.toContain(made[1]?.sha256);
    const local = await builds.obtain(made[1] as ExtractorBuild);
    expect(sha256(readFileSync(local.path))).toBe(made[1]?.sha256);
  });

  it("refuses a requested build its release's signed checksums do not name", async () => {
    server.publish(NIGHTLY_REPO, "2026.12.04.000001", await signedRelease(zipapp, key), false);
    const wanted = { channel: "nightly" as const, tag: "2026.12.04.000001", sha256: "0".repeat(64) };
    await expect(store().obtain(wanted)).rejects.toThrow(/lists [0-9a-f]{64} yt-dlp checksum, not 0{64}/);
  });
});
