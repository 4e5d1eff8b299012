import { randomBytes } from "node:crypto";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { forEachPiece } from "./file-pieces.ts";

const dir = await mkdtemp(join(tmpdir(), "pieces-"));
afterAll(() => rm(dir, { recursive: true, force: true }));

/** What the pieces held while each call lasted, joined. */
async function collect(path: string, range?: { start?: number; end?: number }): Promise<Buffer> {
  const copies: Buffer[] = [];
  await forEachPiece(path, (piece) => copies.push(Buffer.from(piece)), range);
  return Buffer.concat(copies);
}

describe("forEachPiece", () => {
  // Larger than one piece (256 KB) and not a multiple of it, so the reused buffer is read into again.
  const bytes = randomBytes(700_001);
  const path = join(dir, "data.bin");

  it("hands over the whole file, and a range of it, in order", async () => {
    await writeFile(path, bytes);
    expect((await collect(path)).equals(bytes)).toBe(true);
    expect((await collect(path, { start: 3, end: 600_000 })).equals(bytes.subarray(3, 600_000))).toBe(true);
    // A range past the end stops at the end.
    expect((await collect(path, { start: 500_000, end: 900_000 })).equals(bytes.subarray(500_000))).toBe(true);
  });

  it("reuses one buffer: a piece kept past its call holds later bytes", async () => {
    await writeFile(path, bytes);
    const kept: Buffer[] = [];
    await forEachPiece(path, (piece) => kept.push(piece));
    expect(kept.length).toBeGreaterThan(2);
    expect(new Set(kept.map((piece) => piece.buffer)).size).toBe(1);
  });
});
