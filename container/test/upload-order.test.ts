/**
 * The order a clip's objects appear in, which callers rely on: every chunk before the WAV (the
 * recap pipeline HEADs audio/{id}.wav and then reads the chunks), the manifest last (the peaks,
 * found through it only, may go beside the WAV). A forced re-run takes the old manifest and WAV
 * away before it replaces anything, and removes the old chunks the new cut no longer has; with
 * no finished clip to keep, it takes a failed run's leftovers away before its download. The sink
 * is LocalSink, recording what it is asked to do.
 */
import { existsSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { keys } from "../../shared/keys.ts";
import { engineBed } from "../../test/support/engine-bed.ts";
import { processClip } from "../src/pipeline.ts";
import { LocalSink } from "../src/sinks/local.ts";
import type { Body, PutOptions } from "../src/sinks/sink.ts";

const bed = engineBed();

/** LocalSink that logs "put-start KEY", "put-end KEY" and "delete KEY" in the order they happen. */
class RecordingSink extends LocalSink {
  readonly events: string[] = [];

  override async put(key: string, body: Body, options: PutOptions): Promise<void> {
    this.events.push(`put-start ${key}`);
    await super.put(key, body, options);
    this.events.push(`put-end ${key}`);
  }

  override async delete(key: string): Promise<void> {
    this.events.push(`delete ${key}`);
    await super.delete(key);
  }

  at(event: string): number {
    const index = this.events.indexOf(event);
    if (index < 0) throw new Error(`never happened: ${event}`);
    return index;
  }
}

const run = (sink: LocalSink, chunkSeconds: string, force = false) =>
  processClip("long", {
    config: bed.config({ CHUNK_SECONDS: chunkSeconds }),
    sink,
    storeVideo: false,
    force,
  });

describe("the order of a clip's objects", () => {
  it("puts the WAV only once every chunk is in place, and the manifest after it", async () => {
    const sink = new RecordingSink(bed.outDir);
    const result = await run(sink, "30");
    const chunkKeys = result.manifest.chunks.map((chunk) => chunk.key);
    expect(chunkKeys.length).toBeGreaterThan(5);
    const wavStart = sink.at(`put-start ${keys.wav("long")}`);
    for (const key of chunkKeys) expect(sink.at(`put-end ${key}`)).toBeLessThan(wavStart);
    const manifestStart = sink.at(`put-start ${keys.manifest("long")}`);
    for (const key of [keys.wav("long"), keys.peaks("long")]) {
      expect(sink.at(`put-end ${key}`)).toBeLessThan(manifestStart);
    }
  }, 60_000);

  it("a forced re-run withdraws the manifest and the WAV first and removes the chunks it no longer cuts", async () => {
    const before = await run(new LocalSink(bed.outDir), "30", true);
    const sink = new RecordingSink(bed.outDir);
    const after = await run(sink, "60", true);
    expect(after.manifest.chunks.length).toBeLessThan(before.manifest.chunks.length);
    // Withdrawn before anything is replaced: nothing says "ready" while the objects change.
    const firstPut = sink.events.findIndex((event) => event.startsWith("put-start"));
    expect(sink.at(`delete ${keys.manifest("long")}`)).toBeLessThan(sink.at(`delete ${keys.wav("long")}`));
    expect(sink.at(`delete ${keys.wav("long")}`)).toBeLessThan(firstPut);
    // The old cut's extra chunks are gone once the new manifest is written; the new ones are there.
    const kept = new Set(after.manifest.chunks.map((chunk) => chunk.key));
    const stale = before.manifest.chunks.map((chunk) => chunk.key).filter((key) => !kept.has(key));
    expect(stale.length).toBeGreaterThan(0);
    for (const key of stale) {
      expect(sink.at(`delete ${key}`)).toBeGreaterThan(sink.at(`put-end ${keys.manifest("long")}`));
      expect(existsSync(join(bed.outDir, key))).toBe(false);
    }
    for (const key of kept) expect(existsSync(join(bed.outDir, key))).toBe(true);
  }, 60_000);

  it("a forced re-run with no finished clip takes a failed run's WAV away at its start", async () => {
    const sink = new RecordingSink(bed.outDir);
    // What a run that failed at its manifest leaves: a WAV, no manifest. The re-run then fails
    // too, in its decode: the WAV was withdrawn all the same, while the source was read.
    await sink.put(keys.wav("corrupt"), "RIFF-of-a-failed-run", { contentType: "audio/wav" });
    const config = bed.config({ CLIP_SOURCE_URL_TEMPLATE: `${bed.fixtures.url}/clips/corrupt-{id}` });
    await expect(processClip("corrupt", { config, sink, storeVideo: false, force: true })).rejects.toMatchObject({
      code: "extract_failed",
    });
    expect(sink.events.slice(-2)).toEqual([`delete ${keys.manifest("corrupt")}`, `delete ${keys.wav("corrupt")}`]);
    expect(existsSync(join(bed.outDir, keys.wav("corrupt")))).toBe(false);
  }, 60_000);
});
