import { execFileSync } from "node:child_process";
import { join } from "node:path";
import { describe, expect, it } from "vitest";

/** Peak MB of ArrayBuffers while a fresh engine-like process allocates 125 MB of 64 KB Buffers and drops them. */
function deadBufferPeakMb(withHeapModule: boolean): number {
  const heapModule = join(import.meta.dirname, "heap.ts");
  const script = `
    ${withHeapModule ? `await import(${JSON.stringify(heapModule)});` : ""}
    let peak = 0;
    for (let i = 0; i < 2000; i++) {
      Buffer.allocUnsafeSlow(65536)[0] = 1;
      peak = Math.max(peak, process.memoryUsage().arrayBuffers);
    }
    console.log(peak / 1048576);`;
  // The engine's own flags: --max-semi-space-size=1 as in the Dockerfile's NODE_OPTIONS.
  const out = execFileSync(process.execPath, ["--max-semi-space-size=1", "--input-type=module", "-e", script]);
  return Number(out.toString());
}

describe("heap.ts", () => {
  it("has dead Buffers collected after a few MB, not after V8's default ~32 MB", () => {
    expect(deadBufferPeakMb(false)).toBeGreaterThan(20);
    expect(deadBufferPeakMb(true)).toBeLessThan(12);
  });
});
