/**
 * scripts/docker/prepare.sh as the first command on a fresh checkout (no node_modules yet): it
 * installs the npm packages before anything that needs them (base-image.sh takes its Node 22 from
 * node_modules), or, run as root on a checkout another user owns, stops at once naming the fix.
 *
 * The real prepare.sh, packages.sh and lib.sh run in a copy of scripts/docker; the steps that
 * need a dockerd (dockerd.sh, prune.sh, base-image.sh, egress-image.sh) and npm's registry are
 * test stand-ins that only log that they ran (npm's also makes node_modules/node/bin/node).
 */

import { existsSync } from "node:fs";
import { chmod, chown, copyFile, mkdir, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { execa } from "execa";
import { afterEach, beforeEach, expect, it } from "vitest";

const SCRIPTS = resolve(import.meta.dirname);
const REAL = ["prepare.sh", "packages.sh", "lib.sh"];
const STAND_INS = ["dockerd.sh", "prune.sh", "base-image.sh", "egress-image.sh"];
/** An unprivileged uid (nobody) to own the checkout in the `sudo` case. */
const OTHER_UID = 65534;

let checkout: string;
let bin: string;
let log: string;

async function script(path: string, body: string): Promise<void> {
  await writeFile(path, `#!/usr/bin/env bash\n# test stand-in: logs that it ran\n${body}\n`);
  await chmod(path, 0o755);
}

beforeEach(async () => {
  const dir = await mkdtemp(join(tmpdir(), "clip-audio-prepare-"));
  checkout = join(dir, "checkout");
  bin = join(dir, "bin");
  log = join(dir, "steps.log");
  await mkdir(join(checkout, "scripts/docker"), { recursive: true });
  await mkdir(bin);
  for (const name of REAL) {
    await copyFile(join(SCRIPTS, name), join(checkout, "scripts/docker", name));
    await chmod(join(checkout, "scripts/docker", name), 0o755);
  }
  for (const name of STAND_INS) await script(join(checkout, "scripts/docker", name), `echo ${name} >>"${log}"`);
  await script(
    join(bin, "npm"),
    `echo "npm $* (in $PWD)" >>"${log}"\nmkdir -p node_modules/node/bin && printf '#!/bin/sh\\n' >node_modules/node/bin/node && chmod +x node_modules/node/bin/node`,
  );
});

afterEach(async () => {
  await rm(resolve(checkout, ".."), { recursive: true, force: true });
});

const prepare = () =>
  execa(join(checkout, "scripts/docker/prepare.sh"), {
    env: { PATH: `${bin}:${process.env.PATH}` },
    reject: false,
    all: true,
  });
const steps = async () => (existsSync(log) ? (await readFile(log, "utf8")).trim().split("\n") : []);

it("installs the npm packages first on a fresh checkout, then readies Docker; skips the install once done", async () => {
  const first = await prepare();
  expect(first.exitCode, first.all).toBe(0);
  expect(first.all).toContain("node_modules/node/bin/node missing; running npm ci");
  expect(await steps()).toEqual([`npm ci --no-audit --no-fund (in ${checkout})`, ...STAND_INS]);

  await rm(log);
  const again = await prepare();
  expect(again.exitCode, again.all).toBe(0);
  expect(await steps()).toEqual(STAND_INS);
});

it("as root on another user's checkout, stops before anything else and says to run npm ci as that user", async () => {
  // Only root can hand the checkout to another user; the tests run as root on this machine.
  expect(process.getuid?.()).toBe(0);
  await chown(checkout, OTHER_UID, OTHER_UID);
  const result = await prepare();
  expect(result.exitCode).toBe(1);
  expect(result.all).toContain("node_modules/node/bin/node is missing");
  expect(result.all).toContain("npm ci (or npm start once)");
  expect(await steps()).toEqual([]);
});

it("fails when npm ci does not bring the Node 22 binary", async () => {
  await script(join(bin, "npm"), `echo "npm $*" >>"${log}"`);
  const result = await prepare();
  expect(result.exitCode).toBe(1);
  expect(result.all).toContain('npm ci did not install node_modules/node/bin/node (the "node" dev dependency)');
  expect(await steps()).toEqual(["npm ci --no-audit --no-fund"]);
});
