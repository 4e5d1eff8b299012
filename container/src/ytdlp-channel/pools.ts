/**
 * Resident extractors for channel builds (extractor.ts runs the pinned yt-dlp's): one pool per
 * build, whose workers import that build's zipapp.
 */
import { ExtractorPool, extractors } from "../extractor.ts";

/** Pools of channel builds, by zipapp path. The promoted build changes rarely; older pools end. */
const byBuild = new Map<string, ExtractorPool>();
/** Builds kept warm at once: the promoted one and one on trial. */
const MAX_BUILD_POOLS = 2;

/** The pool for `build` (a verified zipapp's path), or the pinned yt-dlp's when there is none. */
export function extractorsFor(size: number, build: string | undefined): ExtractorPool {
  if (!build) return extractors(size);
  let pool = byBuild.get(build);
  if (!pool) {
    pool = new ExtractorPool(size, {}, build);
    byBuild.set(build, pool);
    // The oldest build's workers end (a job still using them finishes; its next request respawns).
    while (byBuild.size > MAX_BUILD_POOLS) {
      const [oldest, old] = byBuild.entries().next().value as [string, ExtractorPool];
      byBuild.delete(oldest);
      old.close();
    }
  } else {
    // Most recently used last, so the promoted build is not the one closed.
    byBuild.delete(build);
    byBuild.set(build, pool);
  }
  if (size > pool.size) pool.size = size;
  return pool;
}

/** Ends the workers of a build whose zipapp is gone or changed: they must not load from it again. */
export function closeBuildPool(build: string): void {
  byBuild.get(build)?.close();
  byBuild.delete(build);
}
