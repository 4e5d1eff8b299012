/**
 * The channel builds this engine has downloaded and verified, on its disk
 * (`WORK_DIR/yt-dlp-builds/<sha256>/yt-dlp`): a build named by a job request is fetched once per
 * instance, checked, and run from there. Nothing unverified is ever left where it could be run:
 * a download is written under a temporary name, verified, then renamed; one that fails a check
 * is deleted and logged.
 */
import { chmod, mkdir, readdir, readFile, rename, rm, writeFile } from "node:fs/promises";
import { join } from "node:path";
import type { ExtractorBuild } from "../../../shared/job.ts";
import { log } from "../../../shared/log.ts";
import { closeBuildPool } from "./pools.ts";
import { ASSET, assetUrl, download, latestBuild, verifiedSums } from "./releases.ts";
import { listedChecksum, sha256, VerificationError } from "./signature.ts";

/** A verified build on disk: the zipapp is executable (`#!/usr/bin/env python3`). */
export interface LocalBuild {
  build: ExtractorBuild;
  path: string;
}

/** How long a build that could not be obtained is not asked for again. */
const FAILURE_MEMORY_MS = 5 * 60_000;
/**
 * Builds kept on disk (~3 MB each): the most recently used. A forced nightly brings one a day;
 * the extractor pools run at most two (extractor.ts), both among these.
 */
export const MAX_BUILDS_ON_DISK = 4;

export class BuildStore {
  readonly #dir: string;
  readonly #ready = new Map<string, Promise<LocalBuild>>();
  /** sha256 → when a job last asked for it, to know which builds to remove first. */
  readonly #used = new Map<string, number>();
  #clock = 0;

  constructor(workDir: string) {
    this.#dir = join(workDir, "yt-dlp-builds");
  }

  /**
   * The build, downloaded and verified on first use, its bytes checked again on every use;
   * rejects (and keeps nothing) when a check fails.
   */
  async obtain(build: ExtractorBuild): Promise<LocalBuild> {
    const key = `${build.channel}/${build.tag}/${build.sha256}`;
    const local = await this.#obtained(build, key);
    // The cache is writable by the uid the tools run as: a compromised extraction could replace
    // the zipapp so that later jobs run its code. Hashing ~3 MB costs milliseconds per job.
    const bytes = await readFile(local.path).catch(() => null);
    if (bytes && sha256(bytes) === build.sha256) return local;
    this.#ready.delete(key);
    closeBuildPool(local.path);
    await rm(join(this.#dir, build.sha256), { recursive: true, force: true });
    log("warn", { msg: "yt-dlp build changed on disk since it was verified: discarded", tag: build.tag });
    throw new VerificationError(`${build.channel} ${build.tag}: the cached ${ASSET} no longer matches its SHA-256`);
  }

  #obtained(build: ExtractorBuild, key: string): Promise<LocalBuild> {
    this.#used.set(build.sha256, ++this.#clock);
    let ready = this.#ready.get(key);
    if (!ready) {
      ready = this.#fetch(build).then(async (local) => {
        await this.#prune();
        return local;
      });
      this.#ready.set(key, ready);
      // A failure is remembered briefly: jobs naming an unreachable build run the pin at once
      // instead of each waiting for the download to fail; later, the release server may be back.
      ready.catch(() => setTimeout(() => this.#ready.delete(key), FAILURE_MEMORY_MS).unref());
    }
    return ready;
  }

  /** The channel's newest build, downloaded and verified. */
  async newest(channel: ExtractorBuild["channel"]): Promise<LocalBuild> {
    return this.obtain(await latestBuild(channel));
  }

  /** Removes the least recently used builds past MAX_BUILDS_ON_DISK (they are fetched again if named). */
  async #prune(): Promise<void> {
    const onDisk = (await readdir(this.#dir).catch(() => [] as string[])).filter((name) => /^[0-9a-f]{64}$/.test(name));
    const byUse = onDisk.sort((a, b) => (this.#used.get(b) ?? 0) - (this.#used.get(a) ?? 0));
    for (const sha of byUse.slice(MAX_BUILDS_ON_DISK)) {
      await rm(join(this.#dir, sha), { recursive: true, force: true });
      this.#used.delete(sha);
      for (const key of this.#ready.keys()) if (key.endsWith(`/${sha}`)) this.#ready.delete(key);
    }
  }

  async #fetch(build: ExtractorBuild): Promise<LocalBuild> {
    const dir = join(this.#dir, build.sha256);
    const path = join(dir, ASSET);
    const onDisk = await readFile(path).catch(() => null);
    if (onDisk && sha256(onDisk) === build.sha256) return { build, path };
    const temporary = `${path}.${process.pid}.${Date.now()}.part`;
    try {
      const sums = await verifiedSums(build.channel, build.tag);
      const listed = listedChecksum(sums, ASSET);
      if (listed !== build.sha256) {
        throw new VerificationError(
          `${build.channel} ${build.tag}: its signed SHA2-256SUMS lists ${listed ?? "no"} ${ASSET} checksum, not ${build.sha256}`,
        );
      }
      const bytes = await download(assetUrl(build.channel, build.tag, ASSET));
      const actual = sha256(bytes);
      if (actual !== build.sha256) {
        throw new VerificationError(
          `${build.channel} ${build.tag}: ${ASSET} has SHA-256 ${actual}, not ${build.sha256}`,
        );
      }
      await mkdir(dir, { recursive: true });
      await writeFile(temporary, bytes, { mode: 0o600 });
      await chmod(temporary, 0o755);
      await rename(temporary, path);
      log("info", { msg: "yt-dlp build verified", channel: build.channel, tag: build.tag, sha256: build.sha256 });
      return { build, path };
    } catch (error) {
      await rm(temporary, { force: true });
      log("warn", {
        msg: "yt-dlp build discarded",
        channel: build.channel,
        tag: build.tag,
        reason: (error as Error).message,
      });
      throw error;
    }
  }
}

const stores = new Map<string, BuildStore>();

/** The process's store for a work directory. */
export function buildStore(workDir: string): BuildStore {
  let store = stores.get(workDir);
  if (!store) {
    store = new BuildStore(workDir);
    stores.set(workDir, store);
  }
  return store;
}
