/**
 * Where yt-dlp's channel builds come from: the GitHub releases of its official repositories,
 * the same ones `yt-dlp --update-to stable|nightly` uses (yt_dlp/update.py):
 *   stable   https://github.com/yt-dlp/yt-dlp/releases
 *   nightly  https://github.com/yt-dlp/yt-dlp-nightly-builds/releases
 * From a release only three assets are read: `yt-dlp` (the zipapp), `SHA2-256SUMS` and
 * `SHA2-256SUMS.sig`. The newest release's tag is read from the redirect of
 * `releases/latest/download/…`, as yt-dlp's updater does, without GitHub's rate-limited API.
 */
import { detectEnvironment } from "../../../shared/config.ts";
import type { ExtractorBuild, ExtractorChannel } from "../../../shared/job.ts";
import { listedChecksum, signingKey, VerificationError, verifySums } from "./signature.ts";

export const REPOSITORIES: Record<ExtractorChannel, string> = {
  stable: "yt-dlp/yt-dlp",
  nightly: "yt-dlp/yt-dlp-nightly-builds",
};
/** The asset the engine runs: the platform-independent zipapp (Python is in the image). */
export const ASSET = "yt-dlp";
/** Test-only: a stand-in release server in place of https://github.com (refused in production). */
export const RELEASES_URL_VARIABLE = "YT_DLP_RELEASES_URL";
/** The zipapp is ~3 MB; anything far larger is not it. */
const MAX_ASSET_BYTES = 64 * 1024 * 1024;
const FETCH_TIMEOUT_MS = 60_000;

export class ReleaseError extends Error {}

function releasesBase(env: NodeJS.ProcessEnv = process.env): string {
  const override = env[RELEASES_URL_VARIABLE];
  if (!override) return "https://github.com";
  if (detectEnvironment(env) === "production")
    throw new ReleaseError(`${RELEASES_URL_VARIABLE} is refused in production`);
  return override.replace(/\/+$/, "");
}

export function assetUrl(channel: ExtractorChannel, tag: string, name: string): string {
  return `${releasesBase()}/${REPOSITORIES[channel]}/releases/download/${tag}/${name}`;
}

/** One asset's bytes, bounded in size and time. */
export async function download(url: string): Promise<Uint8Array> {
  let response: Response;
  try {
    response = await fetch(url, { signal: AbortSignal.timeout(FETCH_TIMEOUT_MS) });
  } catch (error) {
    throw new ReleaseError(`${url} could not be fetched: ${(error as Error).message}`);
  }
  if (!response.ok) throw new ReleaseError(`${url} answered HTTP ${response.status}`);
  const length = Number(response.headers.get("content-length") ?? 0);
  if (length > MAX_ASSET_BYTES) throw new ReleaseError(`${url} is ${length} bytes: not a yt-dlp asset`);
  const bytes = new Uint8Array(await response.arrayBuffer());
  if (bytes.byteLength > MAX_ASSET_BYTES) throw new ReleaseError(`${url} is too large: not a yt-dlp asset`);
  return bytes;
}

/** The newest release's tag of a channel: where `latest/download/SHA2-256SUMS` redirects to. */
async function latestTag(channel: ExtractorChannel): Promise<string> {
  const url = `${releasesBase()}/${REPOSITORIES[channel]}/releases/latest/download/SHA2-256SUMS`;
  let response: Response;
  try {
    response = await fetch(url, { redirect: "manual", signal: AbortSignal.timeout(FETCH_TIMEOUT_MS) });
  } catch (error) {
    throw new ReleaseError(`${url} could not be fetched: ${(error as Error).message}`);
  }
  await response.body?.cancel();
  const location = response.headers.get("location") ?? "";
  const tag = /\/releases\/download\/([^/]+)\/SHA2-256SUMS$/.exec(new URL(location, url).pathname)?.[1];
  if (!tag) throw new ReleaseError(`${url} did not redirect to a release (HTTP ${response.status})`);
  return decodeURIComponent(tag);
}

/** A release's SHA2-256SUMS, after its signature verified against the signing key. */
export async function verifiedSums(channel: ExtractorChannel, tag: string): Promise<Uint8Array> {
  const [sums, signature, key] = await Promise.all([
    download(assetUrl(channel, tag, "SHA2-256SUMS")),
    download(assetUrl(channel, tag, "SHA2-256SUMS.sig")),
    signingKey(),
  ]);
  await verifySums(sums, signature, key);
  return sums;
}

/** The channel's newest build, as its verified SHA2-256SUMS names it (not yet downloaded). */
export async function latestBuild(channel: ExtractorChannel): Promise<ExtractorBuild> {
  const tag = await latestTag(channel);
  const sums = await verifiedSums(channel, tag);
  const sha256 = listedChecksum(sums, ASSET);
  if (!sha256) throw new VerificationError(`${channel} ${tag}: SHA2-256SUMS lists no ${ASSET}`);
  return { channel, tag, sha256 };
}
