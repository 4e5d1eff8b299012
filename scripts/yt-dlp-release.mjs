// The pinned yt-dlp (container/yt-dlp.release) for local runs: `npm start`'s bootstrap installs
// that release into .tools/bin/yt-dlp, checked against its sha256, where the network allows
// (scripts/stack.ts puts .tools/bin first on the engine's PATH, and so does `npm run cli`).
// Where it does not, the distribution's yt-dlp is used, with a loud warning saying how old it
// is. Plain JavaScript that runs on Node 20: the bootstrap runs before Node 22 is installed.
import { spawnSync } from "node:child_process";
import { createHash } from "node:crypto";
import { existsSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";

export const RELEASE_BASE_URL = "https://github.com/yt-dlp/yt-dlp/releases/download";
/** Where GitHub cannot be reached, waiting longer only delays the fallback. */
export const CONNECT_TIMEOUT_MS = 5_000;
/** The zipapp is about 3 MB. */
export const DOWNLOAD_TIMEOUT_MS = 60_000;
/** Same threshold as the engine's (shared/ytdlp-age.ts). */
const STALE_AFTER_DAYS = 90;
const DAY_MS = 86_400_000;

export const releaseFile = (root) => join(root, "container", "yt-dlp.release");
export const localYtDlp = (root) => join(root, ".tools", "bin", "yt-dlp");

/** `{ version, sha256 }` from `key=value` lines (`#` comments); throws naming what is wrong. */
export function readRelease(path) {
  const values = {};
  for (const line of readFileSync(path, "utf8").split("\n")) {
    const match = line.match(/^\s*([a-z0-9]+)\s*=\s*(\S*)\s*$/);
    if (match) values[match[1]] = match[2];
  }
  const { version = "", sha256 = "" } = values;
  if (!/^\d{4}\.\d{2}\.\d{2}(\.\d+)?$/.test(version)) throw new Error(`${path}: version= must be a release tag`);
  if (!/^[0-9a-f]{64}$/.test(sha256)) throw new Error(`${path}: sha256= must be 64 hex digits`);
  return { version, sha256 };
}

/** First line of `<command> --version`, or null when it does not run. */
export function versionOf(command, env = process.env) {
  const result = spawnSync(command, ["--version"], { encoding: "utf8", timeout: 30_000, env });
  return result.status === 0 ? result.stdout.split("\n")[0].trim() || null : null;
}

/** Whole days since the release date a yt-dlp version names, or null. */
export function ageDays(version, now = new Date()) {
  const match = version?.match(/^(\d{4})\.(\d{2})\.(\d{2})/);
  if (!match) return null;
  return Math.max(0, Math.floor((now.getTime() - Date.UTC(+match[1], +match[2] - 1, +match[3])) / DAY_MS));
}

/** `ENOTFOUND github.com`, `ECONNREFUSED 127.0.0.1`…: what fetch's "fetch failed" hides. */
function reason(error) {
  const cause = error?.cause;
  if (cause?.code) return `${cause.code} ${cause.hostname ?? cause.address ?? ""}`.trim();
  return cause?.message ? `${error.message}: ${cause.message}` : (error?.message ?? String(error));
}

/**
 * Downloads the release's `yt-dlp` zipapp to `dest`, only if its sha256 matches; throws with
 * the reason otherwise (nothing is left at `dest`).
 */
export async function downloadRelease(release, dest, options = {}) {
  const baseUrl = options.baseUrl ?? RELEASE_BASE_URL;
  const connectTimeoutMs = options.connectTimeoutMs ?? CONNECT_TIMEOUT_MS;
  const url = `${baseUrl}/${release.version}/yt-dlp`;
  const controller = new AbortController();
  const abortAfter = (ms, what) => setTimeout(() => controller.abort(new Error(`${what} within ${ms / 1000} s`)), ms);
  let timer = abortAfter(connectTimeoutMs, `no answer from ${url}`);
  try {
    const response = await fetch(url, { signal: controller.signal });
    clearTimeout(timer);
    timer = abortAfter(options.downloadTimeoutMs ?? DOWNLOAD_TIMEOUT_MS, "download not finished");
    if (!response.ok) throw new Error(`HTTP ${response.status} from ${url}`);
    const bytes = Buffer.from(await response.arrayBuffer());
    const actual = createHash("sha256").update(bytes).digest("hex");
    if (actual !== release.sha256) {
      throw new Error(
        `checksum mismatch: ${url} has sha256 ${actual}, container/yt-dlp.release says ${release.sha256}`,
      );
    }
    mkdirSync(dirname(dest), { recursive: true });
    writeFileSync(`${dest}.part`, bytes, { mode: 0o755 });
    renameSync(`${dest}.part`, dest);
  } catch (error) {
    throw new Error(reason(error), { cause: error });
  } finally {
    clearTimeout(timer);
  }
}

/**
 * Makes `.tools/bin/yt-dlp` the pinned release: true when it is (already, or now). With
 * `download` false nothing is fetched (tests need only a yt-dlp that reads local fixtures).
 */
export async function installPinnedYtDlp({ root, download, log = console.error, ...options }) {
  const release = readRelease(releaseFile(root));
  const dest = localYtDlp(root);
  if (existsSync(dest) && versionOf(dest) === release.version) return true;
  if (!download) return false;
  try {
    await downloadRelease(release, dest, options);
  } catch (error) {
    log(`[bootstrap] could not download the pinned yt-dlp ${release.version}: ${error.message}`);
    return false;
  }
  const installed = versionOf(dest);
  if (installed !== release.version) {
    rmSync(dest, { force: true });
    log(`[bootstrap] the downloaded yt-dlp ${release.version} does not run (it needs python3 >= 3.10 on PATH)`);
    return false;
  }
  log(`[bootstrap] installed the pinned yt-dlp ${release.version} in .tools/bin (sha256 verified)`);
  return true;
}

/**
 * The warning for running without the pinned release: which yt-dlp is used instead, how old it
 * is, what that means for Twitch and how to get the pinned one. Empty when nothing is amiss.
 */
export function fallbackWarning({ root, env = process.env, now = new Date() }) {
  const release = readRelease(releaseFile(root));
  const local = localYtDlp(root);
  const localVersion = existsSync(local) ? versionOf(local, env) : null;
  const where = localVersion ? ".tools/bin/yt-dlp" : (which("yt-dlp", env) ?? "yt-dlp");
  const version = localVersion ?? versionOf("yt-dlp", env);
  const age = ageDays(version, now);
  if (version === release.version || (age !== null && age <= STALE_AFTER_DAYS)) return [];
  const url = `${RELEASE_BASE_URL}/${release.version}`;
  return [
    "=".repeat(78),
    version
      ? `WARNING: using yt-dlp ${version} (${where}), ${age ?? "?"} days old, not the pinned ${release.version}.`
      : "WARNING: no yt-dlp found.",
    "Twitch changes the private API yt-dlp reads every few months: real Twitch clips and VODs",
    "need a current yt-dlp and will likely fail with extractor_outdated on this one.",
    "Local fixtures and demo clips work with it. To install the pinned release by hand:",
    `  mkdir -p .tools/bin && curl -fL ${url}/yt-dlp -o .tools/bin/yt-dlp`,
    `  echo "${release.sha256}  .tools/bin/yt-dlp" | sha256sum -c - && chmod +x .tools/bin/yt-dlp`,
    "=".repeat(78),
  ];
}

function which(command, env) {
  const result = spawnSync("sh", ["-c", `command -v ${command}`], { encoding: "utf8", env });
  return result.status === 0 ? result.stdout.trim() : null;
}
