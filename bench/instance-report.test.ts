import { describe, expect, it } from "vitest";
import { containerCpu } from "./docker-engine.ts";
import { formatInstanceReport, type InstanceRun } from "./instance-report.ts";

const meta = {
  date: "2026-12-06T00:00:00.000Z",
  command: "node bench/instance.ts",
  minutes: 1,
  loadAverage: { start: [0.5, 0.5, 0.5], end: [1, 1, 1] },
  linkMbps: 50,
  batchSize: 20,
};

function run(over: Partial<InstanceRun>): InstanceRun {
  return {
    case: "batch",
    engine: "docker 0.5 cpu",
    cpus: 0.5,
    clips: 20,
    seconds: 15,
    transferSeconds: 14.4,
    mbDownloaded: 90,
    cpuSeconds: 6,
    throttledSeconds: 1,
    nodeRssMb: 130,
    treeRssMb: 330,
    complete: true,
    errors: [],
    ...over,
  };
}

describe("bench/instance.ts's report", () => {
  it("gives clips per minute from the median batch, and what the CPU limit alone allows", () => {
    const runs = [run({ seconds: 15 }), run({ seconds: 20 }), run({ seconds: 12 })];
    const report = formatInstanceReport(runs, meta);
    // 20 clips in 15 s (the median) = 80/min; 6 CPU s / 20 clips = 0.3 s each; 0.5 × 60 / 0.3 = 100/min.
    expect(report).toContain("docker 0.5 cpu: 80.0 clips/min (batch median 15.00 s; its CPU limit alone allows 100)");
    expect(report).toMatch(/batch of 20 clips, video off\s+docker 0\.5 cpu\s+3\s+15\.00 \[12\.00-20\.00\]/);
    // One header cell per column: the throttled time sits under its own heading.
    const [header, , row] = report.split("\n").slice(2);
    expect(header?.split(/\s{2,}/)).toHaveLength(row?.split(/\s{2,}/).length ?? 0);
    expect(header).toMatch(/CPU allows\/min\s+throttled s/);
  });

  it("turns the 30-minute row into hours of source per hour, and marks a case with a failed run", () => {
    const runs = [
      run({ case: "long", clips: 1, seconds: 22.5, cpuSeconds: 4.5, transferSeconds: 21.6 }),
      run({ case: "long", engine: "host", cpus: null, clips: 1, seconds: 20, cpuSeconds: null, complete: false }),
    ];
    const report = formatInstanceReport(runs, meta);
    // 0.5 h in 22.5 s = 80 h/h; the limit: 0.5 CPU / 4.5 CPU s per video × 0.5 h × 3600 = 200 h/h.
    expect(report).toContain("docker 0.5 cpu: 80 hours of source per hour");
    expect(report).toContain("its CPU limit alone allows 200)");
    expect(report).toContain("host (FAILED)");
    // Without a container there is no CPU figure to give, nor a limit.
    expect(report).toContain("host: 90 hours of source per hour, 30-min 360p videos one at a time (20.00 s each)");
  });
});

describe("containerCpu", () => {
  it("reads this process's cgroup CPU time, which grows while it computes", () => {
    const before = containerCpu(process.pid);
    expect(before?.used).toBeGreaterThan(0);
    expect(before?.throttled).toBeGreaterThanOrEqual(0);
    const until = performance.now() + 200;
    while (performance.now() < until) Math.sqrt(Math.random());
    expect(containerCpu(process.pid)?.used).toBeGreaterThan(before?.used as number);
  });

  it("is null for a process that does not exist", () => {
    expect(containerCpu(2 ** 30)).toBeNull();
  });
});
