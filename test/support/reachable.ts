/**
 * Lets other users reach a folder (search permission on it and each folder above it), for tests
 * that run the checkout's code as an unprivileged user. A clone in a private temporary folder
 * (mktemp's mode 0700) is otherwise closed to them. Returns what undoes it.
 */
import { chmodSync, statSync } from "node:fs";
import { dirname } from "node:path";

export function letOthersReach(folder: string): () => void {
  const changed: [string, number][] = [];
  for (let dir = folder; ; dir = dirname(dir)) {
    const mode = statSync(dir).mode & 0o7777;
    if ((mode & 0o001) === 0) {
      chmodSync(dir, mode | 0o001);
      changed.push([dir, mode]);
    }
    if (dirname(dir) === dir) break;
  }
  return () => {
    for (const [dir, mode] of changed.reverse()) chmodSync(dir, mode);
  };
}
