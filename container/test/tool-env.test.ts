/**
 * yt-dlp and ffmpeg run with a minimal environment: they fetch URLs that come from outside and
 * must never hold the HMAC secret or the bucket's keys. Wrappers placed first on PATH record
 * the environment each real tool was started with, then run the real tool.
 */
import { execFileSync } from "node:child_process";
import { chmodSync, writeFileSync } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, expect, it } from "vitest";
import { type FixtureServer, startFixtureServer } from "../../test/support/fixture-server.ts";
import { loadConfig } from "../src/config.ts";
import { processClip } from "../src/pipeline.ts";
import { LocalSink } from "../src/sinks/local.ts";

const SECRETS = {
  HMAC_SHARED_SECRET: "hmac-secret-that-must-not-leak",
  R2_ACCESS_KEY_ID: "access-key-that-must-not-leak",
  R2_SECRET_ACCESS_KEY: "secret-key-that-must-not-leak",
};

let fixtures: FixtureServer;
let dir: string;
const saved = { ...process.env };

beforeAll(async () => {
  fixtures = await startFixtureServer();
  dir = await mkdtemp(join(tmpdir(), "tool-env-"));
  for (const tool of ["yt-dlp", "ffmpeg"]) {
    const real = execFileSync("sh", ["-c", `command -v ${tool}`], { encoding: "utf8" }).trim();
    const wrapper = join(dir, tool);
    writeFileSync(wrapper, `#!/bin/sh\nenv > "${dir}/${tool}.$$.env"\nexec "${real}" "$@"\n`);
    chmodSync(wrapper, 0o755);
  }
  Object.assign(process.env, SECRETS, { PATH: `${dir}:${process.env.PATH}` });
}, 120_000);

afterAll(async () => {
  for (const name of Object.keys(process.env)) if (!(name in saved)) delete process.env[name];
  Object.assign(process.env, saved);
  await fixtures.close();
  await rm(dir, { recursive: true, force: true });
});

it("yt-dlp and ffmpeg see PATH and HOME but none of the service's secrets", async () => {
  const config = loadConfig({
    ...SECRETS,
    CLIP_SOURCE_URL_TEMPLATE: fixtures.clipTemplate,
    WORK_DIR: join(dir, "work"),
  });
  const result = await processClip("tone", {
    config,
    sink: new LocalSink(join(dir, "out")),
    storeVideo: false,
    force: true,
    onEvent: () => undefined,
  });
  expect(result.duration_s).toBeGreaterThan(5);
  const recorded = execFileSync("sh", ["-c", `cat "${dir}"/*.env`], { encoding: "utf8" });
  // Each tool ran at least once through its wrapper.
  const files = execFileSync("sh", ["-c", `ls "${dir}"`], { encoding: "utf8" });
  expect(files).toMatch(/yt-dlp\.\d+\.env/);
  expect(files).toMatch(/ffmpeg\.\d+\.env/);
  expect(recorded).toMatch(/^PATH=/m);
  for (const [name, value] of Object.entries(SECRETS)) {
    expect(recorded).not.toContain(name);
    expect(recorded).not.toContain(value);
  }
});
