/**
 * The CLI's `--yt-dlp-channel`: with the yt-dlp on PATH broken for Twitch (the stand-in), the
 * channel's newest build from a stand-in release server (a real yt-dlp zipapp, signed with this
 * run's key) reads the clip; `--version` names it, its channel and its age; a forged release
 * stops the CLI before any work.
 */
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { execa } from "execa";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ytDlpAgeDays } from "../../shared/ytdlp-age.ts";
import { NIGHTLY_REPO } from "../../test/support/channel-tags.ts";
import { type FixtureServer, startFixtureServer } from "../../test/support/fixture-server.ts";
import {
  type ReleaseServer,
  type SigningKey,
  signedRelease,
  startReleaseServer,
  testSigningKey,
} from "../../test/support/release-server.ts";
import { pinDirectory, realZipapp, twitchBrokenZipapp } from "../../test/support/ytdlp-builds.ts";
import { RELEASES_URL_VARIABLE } from "../src/ytdlp-channel/releases.ts";
import { TEST_KEY_VARIABLE } from "../src/ytdlp-channel/signature.ts";

const CLI = resolve(import.meta.dirname, "../src/cli.ts");
const TAG = "2026.12.05.232911";
let fixtures: FixtureServer;
let releases: ReleaseServer;
let key: SigningKey;
let pin = "";

beforeAll(async () => {
  [fixtures, releases, key] = await Promise.all([startFixtureServer(), startReleaseServer(), testSigningKey()]);
  releases.publish(NIGHTLY_REPO, TAG, await signedRelease(realZipapp().bytes, key));
  pin = pinDirectory(twitchBrokenZipapp("2026.08.19").path);
}, 120_000);
afterAll(async () => {
  await Promise.all([fixtures?.close(), releases?.close()]);
});

const cli = (args: string[]) =>
  execa(process.execPath, [CLI, ...args], {
    reject: false,
    env: {
      CLIP_SOURCE_URL_TEMPLATE: fixtures.clipTemplate,
      S3_ENDPOINT: "",
      R2_ACCESS_KEY_ID: "",
      R2_SECRET_ACCESS_KEY: "",
      PATH: `${pin}:${process.env.PATH}`,
      WORK_DIR: mkdtempSync(join(tmpdir(), "cli-work-")),
      [RELEASES_URL_VARIABLE]: releases.url,
      [TEST_KEY_VARIABLE]: key.armoredPublic,
    },
  });

describe("npm run cli -- --yt-dlp-channel", () => {
  it("--version names the channel's verified build and its age", async () => {
    const result = await cli(["--version", "--yt-dlp-channel", "nightly"]);
    expect(result.exitCode).toBe(0);
    const age = ytDlpAgeDays(TAG, new Date());
    expect(result.stdout).toContain(`yt-dlp ${TAG} (${age} days old), nightly channel, signature verified`);
  });

  it("reads the clip with the nightly where the yt-dlp on PATH fails", async () => {
    const out = mkdtempSync(join(tmpdir(), "cli-out-"));
    const broken = await cli(["process", "tone-chan", "--out", out, "--no-video"]);
    expect(broken.exitCode).toBe(1);
    expect(broken.stdout).toMatch(/tone-chan\s+failed/);
    const healed = await cli(["process", "tone-chan", "--out", out, "--no-video", "--yt-dlp-channel", "nightly"]);
    expect(healed.exitCode).toBe(0);
    expect(healed.stderr).toContain(`running yt-dlp ${TAG}`);
    expect(healed.stdout).toMatch(/^tone-chan\s+ok/m);
  });

  it("stops before any work when the release's signature is forged, or the channel is unknown", async () => {
    releases.publish(
      NIGHTLY_REPO,
      "2026.12.06.000001",
      await signedRelease(realZipapp().bytes, key, { forgedBy: await testSigningKey("forger") }),
    );
    const forged = await cli(["process", "tone-chan", "--yt-dlp-channel", "nightly"]);
    expect(forged.exitCode).toBe(2);
    expect(forged.stderr).toContain("yt-dlp's nightly build could not be used: SHA2-256SUMS.sig does not verify");
    const unknown = await cli(["--version", "--yt-dlp-channel", "beta"]);
    expect(unknown.exitCode).toBe(2);
    expect(unknown.stderr).toContain('--yt-dlp-channel must be stable or nightly, not "beta"');
  });
});
