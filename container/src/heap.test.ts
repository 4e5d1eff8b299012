/**
 * heap.ts sets how soon V8 collects the young generation that dead Buffers fill. Measured the
 * way V8 works rather than by the clock or the machine's memory: a fresh engine-like process
 * allocates 125 MB of 64 KB Buffers and drops them, and counts its young-generation collections
 * (V8 starts them by bytes allocated, so the count is the same run after run) and its peak of
 * ArrayBuffer memory. The same run without heap.ts is the control: it shows the measure sees
 * the difference, whatever V8's default is.
 */
import { execFileSync } from "node:child_process";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { SCAVENGER_NEW_SPACE_MB } from "./heap.ts";

const BUFFERS = 2000;
const BUFFER_BYTES = 65536;
const ALLOCATED_MB = (BUFFERS * BUFFER_BYTES) / 1048576;

interface DeadBuffers {
  /** Young-generation collections (scavenges) while the Buffers were allocated. */
  scavenges: number;
  /** The most ArrayBuffer memory alive at once, dead Buffers included, in MB. */
  peakMb: number;
}

function allocateDeadBuffers(withHeapModule: boolean): DeadBuffers {
  const heapModule = join(import.meta.dirname, "heap.ts");
  const script = `
    import { PerformanceObserver, constants } from "node:perf_hooks";
    ${withHeapModule ? `await import(${JSON.stringify(heapModule)});` : ""}
    let scavenges = 0;
    new PerformanceObserver((list) => {
      for (const entry of list.getEntries()) if (entry.detail.kind === constants.NODE_PERFORMANCE_GC_MINOR) scavenges++;
    }).observe({ entryTypes: ["gc"] });
    let peak = 0;
    for (let i = 0; i < ${BUFFERS}; i++) {
      Buffer.allocUnsafeSlow(${BUFFER_BYTES})[0] = 1;
      peak = Math.max(peak, process.memoryUsage().arrayBuffers);
    }
    // GC entries reach observers after the collection, from the event loop: let them arrive.
    await new Promise((resolve) => setImmediate(resolve));
    await new Promise((resolve) => setImmediate(resolve));
    console.log(JSON.stringify({ scavenges, peakMb: peak / 1048576 }));`;
  // The engine's own flags: --max-semi-space-size=1 as in the Dockerfile's NODE_OPTIONS.
  const out = execFileSync(process.execPath, ["--max-semi-space-size=1", "--input-type=module", "-e", script]);
  return JSON.parse(out.toString()) as DeadBuffers;
}

describe("heap.ts", () => {
  it(`collects dead Buffers every few MB (new space ${SCAVENGER_NEW_SPACE_MB} MB), not every ~32 MB`, () => {
    const tuned = allocateDeadBuffers(true);
    const control = allocateDeadBuffers(false);
    // A collection at least every 8 new spaces' worth of Buffers (V8 starts one at about 4).
    expect(tuned.scavenges).toBeGreaterThanOrEqual(ALLOCATED_MB / (8 * SCAVENGER_NEW_SPACE_MB));
    expect(tuned.peakMb).toBeLessThan(12);
    // The control collects far less often and holds far more: the measure sees heap.ts.
    expect(control.scavenges).toBeLessThan(tuned.scavenges / 3);
    expect(control.peakMb).toBeGreaterThan(2 * tuned.peakMb);
  });
});
