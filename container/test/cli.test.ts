import { chmod, mkdtemp, readdir, readFile, rm, stat, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { delimiter, join, resolve } from "node:path";
import { execa } from "execa";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { keys } from "../../shared/keys.ts";
import { ytDlpAgeDays } from "../../shared/ytdlp-age.ts";
import { decodeWav, dominantFrequency } from "../../test/support/audio.ts";
import { type FixtureServer, startFixtureServer } from "../../test/support/fixture-server.ts";
import { pathWithout } from "../../test/support/path-without.ts";
import { CliReport } from "../src/cli-report.ts";

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

const env = (template = fixtures.clipTemplate) => ({
  CLIP_SOURCE_URL_TEMPLATE: template,
  S3_ENDPOINT: "",
  R2_ACCESS_KEY_ID: "",
  R2_SECRET_ACCESS_KEY: "",
});

const cli = (args: string[], extra: Record<string, string> = {}) =>
  execa(process.execPath, [CLI, ...args], { reject: false, env: { ...env(), ...extra } });

describe("npm run cli -- process", () => {
  it("writes the bucket layout under --out, prints progress and a summary, exits 0", async () => {
    const result = await cli(["process", "tone-cli", "--out", out, "--no-video"]);
    expect(result.exitCode).toBe(0);
    expect(result.stderr).toContain("tone-cli: downloading");
    expect(result.stderr).toMatch(/^tone-cli: ok in \d+\.\d s$/m);
    // The tone fixture is 6 s, short enough to stay whole: no chunks.
    const size = (await stat(join(out, keys.wav("tone-cli")))).size;
    expect(result.stdout).toMatch(/^clip\s+status\s+duration\s+chunks\s+size\s+time$/m);
    expect(result.stdout).toMatch(
      new RegExp(`^tone-cli\\s+ok\\s+6\\.0 s\\s+0\\s+${Math.round(size / 1000)} kB\\s+\\d+\\.\\d s$`, "m"),
    );
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
    expect(result.stdout).toMatch(/^clip\s+status\s+duration\s+chunks\s+size\s+time\s+error$/m);
    expect(result.stdout).toMatch(/^missing-cli\s+failed\s+-\s+-\s+-\s+.*not_found: The clip or video does not exist/m);
  });

  it("--json prints one CliReport document on stdout and nothing else; exit codes unchanged", async () => {
    const result = await cli(["process", "tone-json", "missing-json", "--out", out, "--no-video", "--json"]);
    expect(result.exitCode).toBe(1);
    const report = CliReport.parse(JSON.parse(result.stdout));
    expect(report.failed).toBe(1);
    expect(report.destination).toBe(`folder ${out}`);
    expect(report.clips.map((c) => [c.input, c.status])).toEqual([
      ["tone-json", "ok"],
      ["missing-json", "failed"],
    ]);
    const [tone, missing] = report.clips;
    expect(tone).toMatchObject({ clip_id: "tone-json", chunks: 0, error: null });
    expect(tone?.duration_s).toBeCloseTo(6, 1);
    expect(tone?.wav_bytes).toBe((await stat(join(out, keys.wav("tone-json")))).size);
    expect(tone?.files).toContain(keys.wav("tone-json"));
    expect(missing?.error).toMatchObject({ code: "not_found", retryable: false });
    // Progress still goes to stderr, for the person watching.
    expect(result.stderr).toContain("tone-json: downloading");

    const ok = await cli(["process", "tone-json", "--out", out, "--json"]);
    expect(ok.exitCode).toBe(0);
    expect(CliReport.parse(JSON.parse(ok.stdout)).clips[0]?.status).toBe("skipped");
  });

  it("explains bad usage with exit code 2", async () => {
    const result = await cli(["process"]);
    expect(result.exitCode).toBe(2);
    expect(result.stderr).toContain("no clip ids or URLs given");
    const bad = await cli(["process", "x"].concat(["--bogus"]));
    expect(bad.exitCode).toBe(2);
  });
});

describe("npm run cli -- process on a terminal", () => {
  /** The long fixture (with a duration, so percent is known) at 1 MB/s: a download of a few seconds. */
  const RATE = 1_000_000;
  let paced: FixtureServer;
  beforeAll(async () => {
    paced = await startFixtureServer({ mediaBytesPerSecond: RATE });
  }, 120_000);
  afterAll(() => paced?.close());

  it("redraws a bar per clip with its rate and ETA, then prints the summary table", async () => {
    // `script` runs the CLI on a pseudo-terminal, as a person's shell would.
    const command = [process.execPath, CLI, "process", "long-tty", "--out", out, "--no-video"].join(" ");
    const result = await execa("script", ["-qfec", command, "/dev/null"], {
      reject: false,
      env: env(paced.clipTemplate),
      timeout: 60_000,
    });
    expect(result.exitCode).toBe(0);
    const output = result.stdout;
    // Node's cursorTo(0) + clearLine(0): each redraw replaces the line.
    const redraws = output.split("\x1b[1G\x1b[2K").slice(1);
    const bars = redraws
      .map((line) =>
        /^long-tty {2}downloading \[#*-*\] +(\d+)% {2}[\d.]+ [kM]B {2}([\d.]+) ([kM])B\/s {2}ETA (\d+)s$/.exec(line),
      )
      .filter((match) => match !== null);
    expect(bars.length).toBeGreaterThanOrEqual(3);
    const rates = bars.map((m) => Number(m[2]) * (m[3] === "M" ? 1e6 : 1e3));
    const etas = bars.map((m) => Number(m[4]));
    // Bytes per second, at most what the server sends (and not absurdly less).
    for (const rate of rates) expect(rate).toBeLessThanOrEqual(RATE * 1.2);
    expect(rates.at(-1)).toBeGreaterThan(RATE / 10);
    // The ETA counts down as percent grows.
    expect(etas.at(-1)).toBeLessThan(etas[0] as number);
    expect(Number(bars.at(-1)?.[1])).toBeGreaterThan(Number(bars[0]?.[1]));
    // The bar's line ends as the clip's outcome, then the table.
    expect(redraws.at(-1)).toMatch(/^long-tty {2}ok in \d+\.\d s\r?\n/);
    expect(output).toMatch(/^long-tty\s+ok\s+\d+\.\d s\s+\d+\s+[\d.]+ MB\s+\d+\.\d s\r?$/m);
  }, 90_000);
});

describe("npm run cli -- process without its tools", () => {
  /** Runs the CLI on a PATH lacking `tools`; also returns the fixture requests it made. */
  async function without(tools: string[]) {
    const path = await pathWithout(tools);
    const before = fixtures.requests.length;
    try {
      const result = await cli(["process", "tone-notools", "--out", out], { PATH: path.path });
      return { result, requests: fixtures.requests.length - before };
    } finally {
      await path.remove();
    }
  }

  it("exits 2 naming a missing ffmpeg and how to install it, before downloading anything", async () => {
    const { result, requests } = await without(["ffmpeg"]);
    expect(result.exitCode).toBe(2);
    expect(result.stderr).toMatch(/^ffmpeg not found on PATH: install it with `apt-get install ffmpeg`/m);
    expect(result.stdout).toBe("");
    expect(requests).toBe(0);
  });

  it("exits 2 naming a missing yt-dlp and where the project gets it", async () => {
    const { result, requests } = await without(["yt-dlp"]);
    expect(result.exitCode).toBe(2);
    expect(result.stderr).toMatch(
      /^yt-dlp not found on PATH: `npm start` installs the pinned release into \.tools\/bin/m,
    );
    expect(result.stderr).not.toContain("ffmpeg");
    expect(requests).toBe(0);
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
