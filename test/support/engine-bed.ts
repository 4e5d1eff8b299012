/**
 * What most engine tests start from: the fixture server (a stand-in for Twitch) and a fresh
 * work folder and output folder, made before the file's tests and removed after them, and the
 * engine's configuration pointed at all three.
 */
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll } from "vitest";
import { loadConfig } from "../../container/src/config.ts";
import { type FixtureServer, startFixtureServer } from "./fixture-server.ts";

export interface EngineBed {
  fixtures: FixtureServer;
  workDir: string;
  outDir: string;
  /** The engine's configuration with clips from the fixture server and these folders. */
  config(overrides?: Record<string, string>): ReturnType<typeof loadConfig>;
}

/** Registers the file's beforeAll/afterAll; the fields are there once beforeAll has run. */
export function engineBed(): EngineBed {
  const bed = {
    config(overrides: Record<string, string> = {}) {
      return loadConfig({
        CLIP_SOURCE_URL_TEMPLATE: bed.fixtures.clipTemplate,
        WORK_DIR: bed.workDir,
        OUTPUT_DIR: bed.outDir,
        ...overrides,
      });
    },
  } as EngineBed;
  beforeAll(async () => {
    bed.fixtures = await startFixtureServer();
    bed.workDir = await mkdtemp(join(tmpdir(), "engine-work-"));
    bed.outDir = await mkdtemp(join(tmpdir(), "engine-out-"));
  }, 120_000);
  afterAll(async () => {
    await bed.fixtures.close();
    await rm(bed.workDir, { recursive: true, force: true });
    await rm(bed.outDir, { recursive: true, force: true });
  });
  return bed;
}
