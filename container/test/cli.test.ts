import { chmod, mkdtemp, readdir, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { delimiter, join, resolve } from "node:path";
import { execa } from "execa";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { keys } from "../../shared/keys.ts";
import { ytDlpAgeDays } from "../../shared/ytdlp-age.ts";
import { decodeWav, dominantFrequency } from "../../test/support/audio.ts";
import { type FixtureServer, startFixtureServer } from "../../test/support/fixture-server.ts";

const CLI = resolve(import.meta.dirname, "../src/cli.ts");
let fixtures: FixtureServer;
let out: string;

beforeAll(async () => {
  fixtures = await startFixtureServer();
  out = await mkdtemp(join(tmpdir(), "cli-out-"));
}, 120_000);
afterAll(async () => {
  await fixtures.close();
  await rm(out, { recursive: true, force: true });
});

const cli = (args: string[]) =>
  execa(process.execPath, [CLI, ...args], {
    reject: false,
    env: {
      CLIP_SOURCE_URL_TEMPLATE: fixtures.clipTemplate,
      S3_ENDPOINT: "",
      R2_ACCESS_KEY_ID: "",
      R2_SECRET_ACCESS_KEY: "",
    },
  });

describe("npm run cli -- process", () => {
  it("writes the bucket layout under --out, prints progress and a summary, exits 0", async () => {
    const result = await cli(["process", "tone-cli", "--out", out, "--no-video"]);
    expect(result.exitCode).toBe(0);
    expect(result.stderr).toContain("tone-cli: downloading");
    expect(result.stdout).toMatch(/^clip\s+status\s+time\s+detail/m);
    expect(result.stdout).toMatch(/^tone-cli\s+ok\s+/m);
    expect((await readdir(join(out, "audio"))).sort()).toEqual([
      "tone-cli.json",
      "tone-cli.peaks.json",
      "tone-cli.wav",
    ]);
    const wav = decodeWav(await readFile(join(out, keys.wav("tone-cli"))));
    expect(dominantFrequency(wav.samples, wav.sampleRate)).toBe(440);
  });

  it("marks skipped clips, reports failures and exits 1 when any failed", async () => {
    const result = await cli(["process", "tone-cli", "missing-cli", "--out", out]);
    expect(result.exitCode).toBe(1);
    expect(result.stdout).toMatch(/^tone-cli\s+skipped/m);
    expect(result.stdout).toMatch(/^missing-cli\s+failed\s+.*not_found: The clip or video does not exist/m);
  });

  it("explains bad usage with exit code 2", async () => {
    const result = await cli(["process"]);
    expect(result.exitCode).toBe(2);
    expect(result.stderr).toContain("no clip ids or URLs given");
    const bad = await cli(["process", "x"].concat(["--bogus"]));
    expect(bad.exitCode).toBe(2);
  });
});

describe("npm run cli -- --version", () => {
  /** Runs `--version` with a stand-in `yt-dlp` first on PATH that reports `version`. */
  async function versionWith(version: string) {
    const bin = await mkdtemp(join(tmpdir(), "cli-bin-"));
    await writeFile(join(bin, "yt-dlp"), `#!/bin/sh\necho ${version}\n`);
    await chmod(join(bin, "yt-dlp"), 0o755);
    try {
      return await execa(process.execPath, [CLI, "--version"], {
        env: { PATH: `${bin}${delimiter}${process.env.PATH}` },
      });
    } finally {
      await rm(bin, { recursive: true, force: true });
    }
  }

  it("names the engine, ffmpeg and yt-dlp with its age, and warns when yt-dlp is too old for Twitch", async () => {
    const result = await versionWith("2023.03.04");
    const age = ytDlpAgeDays("2023.03.04", new Date());
    expect(result.stdout).toMatch(/^clip-audio-engine\/\S+\nffmpeg \S+/);
    expect(result.stdout).toContain(`yt-dlp 2023.03.04 (${age} days old)`);
    expect(result.stdout).toContain(`warning: yt-dlp 2023.03.04 is ${age} days old: Twitch clips`);
  });

  it("does not warn about a recent yt-dlp", async () => {
    const today = new Date().toISOString().slice(0, 10).replaceAll("-", ".");
    const result = await versionWith(today);
    expect(result.stdout).toContain(`yt-dlp ${today} (0 days old)`);
    expect(result.stdout).not.toContain("warning");
  });
});
