/**
 * A forced re-run keeps a complete clip complete until it has something to replace it with:
 * the old manifest is withdrawn only when the new artifacts are ready to upload, so a re-run that
 * fails while downloading or decoding (the long part) leaves the clip readable as complete.
 */
import { describe, expect, it } from "vitest";
import { keys } from "../../shared/keys.ts";
import { engineBed } from "../../test/support/engine-bed.ts";
import { processClip } from "../src/pipeline.ts";
import { LocalSink } from "../src/sinks/local.ts";

const bed = engineBed();

/** The source of every id is the fixture clip `clip` (its first word picks the fixture). */
const config = (clip: string) => bed.config({ CLIP_SOURCE_URL_TEMPLATE: `${bed.fixtures.url}/clips/${clip}-{id}` });

describe("a forced re-run that fails", () => {
  it("while decoding leaves the finished clip complete (manifest and WAV as they were)", async () => {
    const sink = new LocalSink(bed.outDir);
    const id = "keep";
    const first = await processClip(id, { config: config("tone"), sink, storeVideo: false });
    const manifest = await sink.readText(keys.manifest(id));
    expect(manifest).not.toBeNull();
    // The same id now resolves to bytes that are no media: the re-run fails after its download.
    await expect(
      processClip(id, { config: config("corrupt"), sink, storeVideo: false, force: true }),
    ).rejects.toMatchObject({ code: "extract_failed" });
    expect(await sink.readText(keys.manifest(id))).toBe(manifest);
    expect(first.manifest.sha256).toMatch(/^[0-9a-f]{64}$/);
  });
});
