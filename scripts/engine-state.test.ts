/**
 * forgetEngineObjects: before a run with the engine on the host, the AudioEngine Durable Objects
 * a Docker run left in wrangler's state go (their alarms would fail; test/e2e/engine-state.test.ts
 * shows it under wrangler dev), and every other object stays.
 */
import { existsSync, mkdirSync, writeFileSync } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { expect, it } from "vitest";
import { forgetEngineObjects } from "./engine-state.ts";

it("removes the AudioEngine namespaces only, whatever the worker's name or the layout's version", async () => {
  const persist = await mkdtemp(join(tmpdir(), "clip-audio-persist-"));
  try {
    const dirs = {
      engine: join(persist, "v3/do/clip-audio-AudioEngine"),
      stagingEngine: join(persist, "v4/do/clip-audio-staging-AudioEngine"),
      jobs: join(persist, "v3/do/clip-audio-ClipJob"),
      bucket: join(persist, "v3/r2/miniflare-R2BucketObject"),
    };
    for (const dir of Object.values(dirs)) {
      mkdirSync(dir, { recursive: true });
      writeFileSync(join(dir, "metadata.sqlite"), "");
    }
    // Not a namespace: a file that happens to end like one.
    writeFileSync(join(persist, "v3/do/notes-AudioEngine"), "");

    expect(forgetEngineObjects(persist).sort()).toEqual([dirs.engine, dirs.stagingEngine].sort());
    expect(existsSync(dirs.engine)).toBe(false);
    expect(existsSync(dirs.stagingEngine)).toBe(false);
    expect(existsSync(join(dirs.jobs, "metadata.sqlite"))).toBe(true);
    expect(existsSync(join(dirs.bucket, "metadata.sqlite"))).toBe(true);
    expect(existsSync(join(persist, "v3/do/notes-AudioEngine"))).toBe(true);
    expect(forgetEngineObjects(persist)).toEqual([]);
  } finally {
    await rm(persist, { recursive: true, force: true });
  }
});

it("does nothing on a first start (no state yet)", () => {
  expect(forgetEngineObjects(join(tmpdir(), "clip-audio-no-such-dir"))).toEqual([]);
});
