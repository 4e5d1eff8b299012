/**
 * A tool that is not installed fails a job as `tool_missing`, which is not retried: before, a
 * missing yt-dlp or Python was `internal` or `download_failed` and a background job tried it
 * three times. PATH here lacks the tool (test/support/path-without.ts); nothing else is faked.
 */
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from "vitest";
import { type FixtureServer, startFixtureServer } from "../../test/support/fixture-server.ts";
import { type PathWithout, pathWithout } from "../../test/support/path-without.ts";
import { ExtractorPool } from "../src/extractor.ts";
import type { Source } from "../src/source.ts";
import { subprocessError } from "../src/subprocess.ts";
import { fetchSourceInfo, saveInfo, startDownload } from "../src/ytdlp.ts";

let fixtures: FixtureServer;
let path: PathWithout | null = null;

beforeAll(async () => {
  fixtures = await startFixtureServer();
}, 120_000);

afterEach(async () => {
  vi.unstubAllEnvs();
  await path?.remove();
  path = null;
});

afterAll(() => fixtures.close());

const clip = (id: string): Source => ({
  id,
  kind: "clip",
  url: fixtures.clipTemplate.replace("{id}", id),
  range: null,
});

describe("a missing tool", () => {
  it("yt-dlp: the download fails as tool_missing", async () => {
    const info = await fetchSourceInfo(clip("tone"), { timeoutMs: 30_000 }, true, new ExtractorPool(1));
    const dir = await mkdtemp(join(tmpdir(), "tool-missing-"));
    try {
      await saveInfo(join(dir, "info.json"), info);
      path = await pathWithout(["yt-dlp"]);
      vi.stubEnv("PATH", path.path);
      const error = await startDownload(join(dir, "info.json"), clip("tone"), true, { timeoutMs: 30_000 }).then(
        () => null,
        (e: unknown) => subprocessError(e, "Downloading with yt-dlp", "download_failed"),
      );
      expect(error?.toJSON()).toMatchObject({ code: "tool_missing", retryable: false });
      expect(error?.message).toMatch(/yt-dlp is not installed or not on PATH/);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it("Python for the resident extractors: reading the source fails as tool_missing", async () => {
    path = await pathWithout(["yt-dlp", "python3"]);
    vi.stubEnv("PATH", path.path);
    const pool = new ExtractorPool(1);
    try {
      await expect(fetchSourceInfo(clip("tone"), { timeoutMs: 30_000 }, true, pool)).rejects.toMatchObject({
        code: "tool_missing",
        retryable: false,
        message: expect.stringMatching(/python3 is not installed or not on PATH/),
      });
    } finally {
      pool.close();
    }
  });
});
