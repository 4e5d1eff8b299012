/**
 * The bootstrap's pinned yt-dlp: the release file, a verified download into .tools/bin, and the
 * fallback's warning. GitHub cannot be reached here, so a local HTTP server stands in for the
 * release's download URL, serving a stand-in `yt-dlp` (a shell script that prints a version).
 */
import { createHash } from "node:crypto";
import { existsSync } from "node:fs";
import { chmod, mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { delimiter, join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  downloadRelease,
  fallbackWarning,
  installPinnedYtDlp,
  localYtDlp,
  readRelease,
  releaseFile,
  versionOf,
} from "./yt-dlp-release.mjs";

const ROOT = join(import.meta.dirname, "..");
const VERSION = "2026.08.19";
const STAND_IN = `#!/bin/sh\necho ${VERSION}\n`;
const STAND_IN_SHA256 = createHash("sha256").update(STAND_IN).digest("hex");

let server: Server;
let base: string;
/** A loopback address where nothing listens. */
let closed: string;
let dir: string;

/** A project root with only the release file, naming `sha256`. */
async function projectRoot(name: string, sha256 = STAND_IN_SHA256): Promise<string> {
  const root = join(dir, name);
  await mkdir(join(root, "container"), { recursive: true });
  await writeFile(releaseFile(root), `# test\nversion=${VERSION}\nsha256=${sha256}\n`);
  return root;
}

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "yt-dlp-release-"));
  server = createServer((req, res) => {
    if (req.url === `/${VERSION}/yt-dlp`) res.end(STAND_IN);
    else if (req.url?.startsWith("/silent/"))
      return; // never answers
    else res.writeHead(404).end();
  });
  server.listen(0, "127.0.0.1");
  await new Promise((resolve) => server.once("listening", resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const gone = createServer().listen(0, "127.0.0.1");
  await new Promise((resolve) => gone.once("listening", resolve));
  closed = `http://127.0.0.1:${(gone.address() as AddressInfo).port}`;
  await new Promise((resolve) => gone.close(resolve));
});
afterAll(async () => {
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
  await rm(dir, { recursive: true, force: true });
});

describe("container/yt-dlp.release", () => {
  it("names a release tag and a sha256", () => {
    const release = readRelease(releaseFile(ROOT));
    expect(release.version).toMatch(/^\d{4}\.\d{2}\.\d{2}/);
    expect(release.sha256).toMatch(/^[0-9a-f]{64}$/);
  });

  it("refuses a file without a checksum, naming the field", async () => {
    const root = await projectRoot("no-sha");
    await writeFile(releaseFile(root), `version=${VERSION}\nsha256=\n`);
    expect(() => readRelease(releaseFile(root))).toThrow(/sha256= must be 64 hex digits/);
  });
});

describe("downloadRelease", () => {
  const release = { version: VERSION, sha256: STAND_IN_SHA256 };

  it("installs the file when its sha256 matches", async () => {
    const dest = join(dir, "ok", "yt-dlp");
    await downloadRelease(release, dest, { baseUrl: base });
    expect(versionOf(dest)).toBe(VERSION);
  });

  it("refuses a file whose sha256 differs, and leaves nothing", async () => {
    const dest = join(dir, "bad", "yt-dlp");
    const wrong = { version: VERSION, sha256: "0".repeat(64) };
    await expect(downloadRelease(wrong, dest, { baseUrl: base })).rejects.toThrow(/checksum mismatch/);
    expect(existsSync(dest)).toBe(false);
  });

  it("names the HTTP status of a missing release", async () => {
    const missing = { version: "2099.01.01", sha256: STAND_IN_SHA256 };
    await expect(downloadRelease(missing, join(dir, "404", "yt-dlp"), { baseUrl: base })).rejects.toThrow(/HTTP 404/);
  });

  it("gives up quickly where nothing answers (GitHub blocked)", async () => {
    const started = Date.now();
    const silent = downloadRelease(release, join(dir, "silent", "yt-dlp"), {
      baseUrl: `${base}/silent`,
      connectTimeoutMs: 300,
    });
    await expect(silent).rejects.toThrow(/no answer .* within 0.3 s/);
    expect(Date.now() - started).toBeLessThan(5_000);
  });

  it("says why when the host cannot be reached", async () => {
    await expect(downloadRelease(release, join(dir, "refused", "yt-dlp"), { baseUrl: closed })).rejects.toThrow(
      /ECONNREFUSED/,
    );
  });
});

describe("installPinnedYtDlp", () => {
  it("puts the pinned release in .tools/bin, and finds it there the next time", async () => {
    const root = await projectRoot("install");
    const log: string[] = [];
    expect(await installPinnedYtDlp({ root, download: true, baseUrl: base, log: (l) => log.push(l) })).toBe(true);
    expect(versionOf(localYtDlp(root))).toBe(VERSION);
    expect(log.join("\n")).toMatch(/sha256 verified/);
    expect(await installPinnedYtDlp({ root, download: false, log: (l) => log.push(l) })).toBe(true);
  });

  it("falls back (false) without downloading when told not to, or when the download fails", async () => {
    const root = await projectRoot("fallback");
    const log: string[] = [];
    expect(await installPinnedYtDlp({ root, download: false })).toBe(false);
    const offline = { root, download: true, baseUrl: closed, log: (l: string) => log.push(l) };
    expect(await installPinnedYtDlp(offline)).toBe(false);
    expect(log.join("\n")).toMatch(/could not download the pinned yt-dlp 2026\.08\.19: ECONNREFUSED/);
    expect(existsSync(localYtDlp(root))).toBe(false);
  });
});

describe("fallbackWarning", () => {
  /** A PATH whose `yt-dlp` prints `version`. */
  async function pathWithYtDlp(version: string): Promise<NodeJS.ProcessEnv> {
    const bin = await mkdtemp(join(dir, "bin-"));
    await writeFile(join(bin, "yt-dlp"), `#!/bin/sh\necho ${version}\n`);
    await chmod(join(bin, "yt-dlp"), 0o755);
    return { ...process.env, PATH: `${bin}${delimiter}${process.env.PATH}` };
  }

  it("is loud about an old distribution yt-dlp: version, age, what it means, how to fix", async () => {
    const root = await projectRoot("old");
    const env = await pathWithYtDlp("2023.03.04");
    const text = fallbackWarning({ root, env, now: new Date("2026-11-26T00:00:00Z") }).join("\n");
    expect(text).toMatch(/WARNING: using yt-dlp 2023\.03\.04 \(.*yt-dlp\), 1363 days old, not the pinned 2026\.08\.19/);
    expect(text).toMatch(/Twitch clips and VODs\nneed a current yt-dlp/);
    expect(text).toContain(`echo "${STAND_IN_SHA256}  .tools/bin/yt-dlp" | sha256sum -c -`);
  });

  it("is silent when the yt-dlp in use is recent", async () => {
    const root = await projectRoot("recent");
    const env = await pathWithYtDlp("2026.11.01");
    expect(fallbackWarning({ root, env, now: new Date("2026-11-26T00:00:00Z") })).toEqual([]);
  });
});
