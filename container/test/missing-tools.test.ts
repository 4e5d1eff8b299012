/**
 * The service on a machine without ffmpeg: it starts anyway, /health says what is missing and
 * how to install it, and a job fails at once with that message, not retryable, having fetched
 * nothing. The real engine process, on a PATH from which ffmpeg is removed.
 */
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { signRequest } from "../../shared/hmac.ts";
import { JobEvent } from "../../shared/job.ts";
import { EngineHealth } from "../../shared/schemas.ts";
import { type EngineProcess, startEngineProcess } from "../../test/support/engine-process.ts";
import { type FixtureServer, startFixtureServer } from "../../test/support/fixture-server.ts";
import { type PathWithout, pathWithout } from "../../test/support/path-without.ts";

const SECRET = "missing-tools-secret";
let fixtures: FixtureServer;
let path: PathWithout;
let dir: string;
let engine: EngineProcess;

beforeAll(async () => {
  [fixtures, path, dir] = await Promise.all([
    startFixtureServer(),
    pathWithout(["ffmpeg"]),
    mkdtemp(join(tmpdir(), "missing-tools-")),
  ]);
  engine = await startEngineProcess({
    PATH: path.path,
    HMAC_SHARED_SECRET: SECRET,
    CLIP_SOURCE_URL_TEMPLATE: fixtures.clipTemplate,
    OUTPUT_DIR: join(dir, "out"),
    WORK_DIR: join(dir, "work"),
    S3_ENDPOINT: "",
    R2_ACCESS_KEY_ID: "",
    R2_SECRET_ACCESS_KEY: "",
  });
}, 120_000);
afterAll(async () => {
  await engine?.stop();
  await Promise.all([fixtures?.close(), path?.remove(), dir && rm(dir, { recursive: true, force: true })]);
});

describe("the engine without ffmpeg", () => {
  it("says on /health what is missing and how to install it", async () => {
    const health = EngineHealth.parse(await (await fetch(`${engine.url}/health`)).json());
    expect(health.status).toBe("missing_tools");
    expect(health.ffmpeg).toBeNull();
    expect(health.missing_tools).toEqual([
      {
        tool: "ffmpeg",
        message: expect.stringMatching(/^ffmpeg not found on PATH: install it with `apt-get install ffmpeg`/),
      },
    ]);
  });

  it("fails a job at once with that message, not retryable, without fetching anything", async () => {
    const before = fixtures.requests.length;
    const body = JSON.stringify({ clip_id: "tone-notools" });
    const response = await fetch(`${engine.url}/jobs`, {
      method: "POST",
      body,
      headers: { "content-type": "application/json", ...(await signRequest(SECRET, body)) },
    });
    expect(response.status).toBe(200);
    const events = (await response.text())
      .trim()
      .split("\n")
      .map((line) => JobEvent.parse(JSON.parse(line)));
    expect(events).toEqual([
      {
        type: "failed",
        error: {
          code: "tool_missing",
          message: expect.stringMatching(/^ffmpeg not found on PATH: install it with `apt-get install ffmpeg`/),
          retryable: false,
        },
      },
    ]);
    expect(fixtures.requests.length).toBe(before);
  });
});
