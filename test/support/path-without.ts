/**
 * A PATH on which some programs are missing: one temporary directory holding a symlink to every
 * other program on the current PATH (the first of each name, as the shell would find it).
 * For testing what the engine does when ffmpeg or yt-dlp is not installed.
 */
import { mkdtemp, readdir, rm, symlink } from "node:fs/promises";
import { tmpdir } from "node:os";
import { delimiter, join } from "node:path";

export interface PathWithout {
  /** The value for PATH. */
  path: string;
  remove(): Promise<void>;
}

export async function pathWithout(missing: string[], path = process.env.PATH ?? ""): Promise<PathWithout> {
  const dir = await mkdtemp(join(tmpdir(), "path-without-"));
  const seen = new Set(missing);
  for (const source of path.split(delimiter).filter(Boolean)) {
    const names = await readdir(source).catch(() => [] as string[]);
    for (const name of names) {
      if (seen.has(name)) continue;
      seen.add(name);
      await symlink(join(source, name), join(dir, name));
    }
  }
  return { path: dir, remove: () => rm(dir, { recursive: true, force: true }) };
}
