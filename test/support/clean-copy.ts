/**
 * A fresh checkout of the working tree, as a new user's clone would be: every file git tracks or
 * would track (ignored ones left out: no .dev-data, .env, output, caches), copied to a temporary
 * directory. The installed packages are linked, not copied (`npm ci` is what a clone runs first,
 * and it needs the registry): node_modules and, when present, the bootstrap's .tools.
 */
import { existsSync, lstatSync } from "node:fs";
import { copyFile, mkdir, mkdtemp, symlink } from "node:fs/promises";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { execa } from "execa";

export const REPO_ROOT = resolve(import.meta.dirname, "../..");

/** Linked into the copy instead of copied. */
const LINKED = ["node_modules", ".tools"];

export async function cleanCopy(prefix = "clip-audio-clone-"): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), prefix));
  const { stdout } = await execa("git", ["ls-files", "-z", "--cached", "--others", "--exclude-standard"], {
    cwd: REPO_ROOT,
  });
  for (const file of new Set(stdout.split("\0").filter(Boolean))) {
    const from = join(REPO_ROOT, file);
    // Deleted in the working tree (not yet committed), or a link such as a worktree's node_modules.
    if (!existsSync(from) || !lstatSync(from).isFile() || LINKED.includes(file)) continue;
    await mkdir(dirname(join(dir, file)), { recursive: true });
    await copyFile(from, join(dir, file));
  }
  for (const linked of LINKED) {
    if (existsSync(join(REPO_ROOT, linked))) await symlink(join(REPO_ROOT, linked), join(dir, linked));
  }
  return dir;
}
