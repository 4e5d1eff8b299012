/**
 * What a run with the engine in Docker leaves in wrangler's local state (`--persist-to`) that a
 * run with the engine on the host must not meet: the AudioEngine Durable Objects. The Container
 * class schedules alarms for itself; with containers off (`--enable-containers=false`) such an
 * alarm still fires, and the class's constructor throws "Containers have not been enabled for
 * this Durable Object class", again at every retry. Their storage holds only the container's
 * lifecycle state (nothing of the service's), so they are removed before a host run.
 */
import { existsSync, readdirSync, rmSync } from "node:fs";
import { join } from "node:path";

/** The Container class (worker/src/engine.ts, `[[containers]]` in wrangler.toml). */
const ENGINE_CLASS = "AudioEngine";

/**
 * Removes every AudioEngine namespace from wrangler's persisted Durable Objects under
 * `persistDir` (`<persistDir>/<version>/do/<worker>-AudioEngine`, whatever the worker's name and
 * the layout's version); returns what it removed.
 */
export function forgetEngineObjects(persistDir: string): string[] {
  if (!existsSync(persistDir)) return [];
  const removed: string[] = [];
  for (const version of readdirSync(persistDir, { withFileTypes: true })) {
    const objects = join(persistDir, version.name, "do");
    if (!version.isDirectory() || !existsSync(objects)) continue;
    for (const namespace of readdirSync(objects, { withFileTypes: true })) {
      if (!namespace.isDirectory() || !namespace.name.endsWith(`-${ENGINE_CLASS}`)) continue;
      rmSync(join(objects, namespace.name), { recursive: true, force: true });
      removed.push(join(objects, namespace.name));
    }
  }
  return removed;
}
