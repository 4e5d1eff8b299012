/**
 * The Worker tests and `npm start` run the same workerd: the test runner
 * (@cloudflare/vitest-plugin) and the `wrangler dev` that scripts/stack.ts starts reach one
 * wrangler, one miniflare and one workerd binary. The plugin pins its own wrangler and miniflare;
 * package.json's "overrides" point them at the project's. A wrangler bump without the matching
 * miniflare override installs a second copy, and this test names it.
 */
import { existsSync, realpathSync } from "node:fs";
import { createRequire } from "node:module";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { describe, expect, it } from "vitest";
import { BIN, ROOT } from "../../scripts/stack.ts";

/**
 * A package's directory as Node finds it from `from` (a file), symlinks followed: the first
 * node_modules folder up the tree that holds it. (Not `require.resolve`: the plugin exports
 * only an ESM entry, and not every package exports its package.json.)
 */
function packageDir(name: string, from: string): string {
  const found = createRequire(from)
    .resolve.paths(name)
    ?.map((modules) => join(modules, name))
    .find((dir) => existsSync(join(dir, "package.json")));
  if (!found) throw new Error(`${name} is not installed where ${from} looks`);
  return realpathSync(found);
}

/** The chain a runner resolves: its wrangler, the miniflare that runs Workers, workerd's binary. */
async function runtimeOf(entry: string) {
  const wrangler = packageDir("wrangler", entry);
  const miniflare = packageDir("miniflare", entry);
  const workerd = packageDir("workerd", join(miniflare, "package.json"));
  const { default: binary } = (await import(pathToFileURL(join(workerd, "lib/main.js")).href)) as {
    default: string;
  };
  return { wrangler, miniflare, workerd, binary: realpathSync(binary) };
}

describe("one runtime for tests and npm start", () => {
  it("the test runner and npm start's wrangler reach the same wrangler, miniflare and workerd", async () => {
    const plugin = join(packageDir("@cloudflare/vitest-plugin", join(ROOT, "package.json")), "package.json");
    const tests = await runtimeOf(plugin);
    const start = await runtimeOf(BIN.wrangler);
    // `npm start` runs this wrangler itself; its miniflare is the one it resolves.
    expect(start.wrangler, "npm start's wrangler").toBe(realpathSync(join(ROOT, "node_modules/wrangler")));
    expect(tests, "the test runner's runtime (see package.json overrides)").toEqual(start);
  });
});
