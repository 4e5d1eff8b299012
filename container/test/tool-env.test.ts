/**
 * yt-dlp and ffmpeg run with a minimal environment: they fetch URLs that come from outside and
 * must never hold the HMAC secret or the bucket's keys. A wrapper placed first on PATH records
 * the environment ffmpeg was started with, then runs the real ffmpeg; the resident yt-dlp
 * extractors (long-lived Python processes) are read where the kernel keeps their environment,
 * /proc/<pid>/environ.
 */
import { execFileSync } from "node:child_process";
import { chmodSync, readFileSync, writeFileSync } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, expect, it } from "vitest";
import { type FixtureServer, startFixtureServer } from "../../test/support/fixture-server.ts";
import { loadConfig } from "../src/config.ts";
import { extractors } from "../src/extractor.ts";
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
  for (const tool of ["ffmpeg"]) {
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

it("yt-dlp's resident extractors and ffmpeg see PATH and HOME but none of the service's secrets", async () => {
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
  // ffmpeg ran at least once through its wrapper; the clip was extracted by a resident worker.
  const files = execFileSync("sh", ["-c", `ls "${dir}"`], { encoding: "utf8" });
  expect(files).toMatch(/ffmpeg\.\d+\.env/);
  const pids = extractors().pids();
  expect(pids.length).toBeGreaterThan(0);
  const environments = [
    execFileSync("sh", ["-c", `cat "${dir}"/*.env`], { encoding: "utf8" }),
    ...pids.map((pid) => readFileSync(`/proc/${pid}/environ`, "utf8").replaceAll("\0", "\n")),
  ];
  for (const recorded of environments) {
    expect(recorded).toMatch(/^PATH=/m);
    for (const [name, value] of Object.entries(SECRETS)) {
      expect(recorded).not.toContain(name);
      expect(recorded).not.toContain(value);
    }
  }
});
