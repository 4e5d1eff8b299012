/** The printed report: tables of figures, the targets, and a timeline of one run per pipeline. */
import type { Run } from "./runs.ts";
import type { CaseStats, Spread, Summary } from "./stats.ts";

const LENGTH_LABEL = { clip: "60 s clip", long: "30-min video" } as const;

function table(header: string[], rows: string[][]): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? "").length)));
  const line = (cells: string[]) =>
    cells.map((c, i) => (i < 3 ? c.padEnd(widths[i] as number) : c.padStart(widths[i] as number))).join("  ");
  return [line(header), widths.map((w) => "-".repeat(w)).join("  "), ...rows.map(line)].join("\n");
}

const f = (x: number | null | undefined, digits = 2) => (x == null || Number.isNaN(x) ? "-" : x.toFixed(digits));
const s = (sp: Spread, digits = 2) =>
  sp.n > 1 ? `${f(sp.median, digits)} [${f(sp.min, digits)}-${f(sp.max, digits)}]` : f(sp.median, digits);

function singleRow(c: CaseStats): string[] {
  return [
    LENGTH_LABEL[c.length],
    `${c.linkMbps} Mbit/s`,
    `${c.pipeline}${c.allComplete ? "" : " (FAILED)"}`,
    String(c.seconds.n),
    s(c.seconds),
    c.vsBaseline ? `${f(1 / c.vsBaseline.seconds, 2)}x${c.pipeline === "ours" ? " =" : ""}` : "-",
    f(c.floor?.seconds),
    f(c.vsLimit),
    f(c.mbDownloaded.median, 1),
    c.vsBaseline ? f(c.vsBaseline.bytes, 3) : "-",
    f(c.nodeRssMb.max, 0),
    c.vsBaseline ? f(c.vsBaseline.nodeRss) : "-",
    f(c.treeRssMb.max, 0),
    f(c.cpuSeconds.median),
    c.vsBaseline ? f(c.vsBaseline.cpu) : "-",
  ];
}

/** Where the time of one run went, from the probe's subprocess log and the server's request log. */
export function phases(run: Run): string | null {
  const m = run.measurement;
  const p = m.probe;
  const media = run.requests.filter((r) => r.path.startsWith("/media/"));
  if (!p || !media.length || !p.spawns.length) return null;
  const origin = performance.timeOrigin;
  const firstMedia = origin + Math.min(...media.map((r) => r.startMs));
  const lastMedia = origin + Math.max(...media.map((r) => r.endMs));
  const firstSpawn = Math.min(...p.spawns.map((sp) => sp.startMs));
  const sec = (ms: number) => (ms / 1000).toFixed(2);
  return [
    `node boot ${sec(p.probeStartMs - m.startMs)}`,
    `JS load/setup to first subprocess ${sec(firstSpawn - p.probeStartMs)}`,
    `first subprocess to first media byte request (yt-dlp start-up, extraction) ${sec(firstMedia - firstSpawn)}`,
    `media transfer ${sec(lastMedia - firstMedia)}`,
    `after the last media byte (decode, upload, manifest, exit) ${sec(p.exitMs - lastMedia)}`,
  ].join("; ");
}

function timeline(run: Run): string {
  const m = run.measurement;
  const t0 = m.startMs;
  const at = (ms: number) => `+${((ms - t0) / 1000).toFixed(3)}`.padStart(8);
  const events: [number, string][] = [];
  if (m.probe) {
    events.push([m.probe.probeStartMs, "node booted (probe loaded), engine modules start loading"]);
    for (const sp of m.probe.spawns) {
      const end = sp.endMs ?? sp.startMs;
      const args = sp.args.filter((a) => !a.startsWith("http")).join(" ");
      events.push([
        sp.startMs,
        `${sp.command} ${args.length > 90 ? `${args.slice(0, 90)}…` : args}  (${((end - sp.startMs) / 1000).toFixed(3)} s)`,
      ]);
    }
    events.push([m.probe.exitMs, "process exit"]);
  }
  const origin = performance.timeOrigin;
  for (const r of run.requests) {
    const path = r.path.length > 50 ? `${r.path.slice(0, 50)}…` : r.path;
    events.push([
      origin + r.startMs,
      `  HTTP ${r.method} ${path} ${r.status} ${(r.bytes / 1e6).toFixed(2)} MB (${((r.endMs - r.startMs) / 1000).toFixed(3)} s)`,
    ]);
  }
  events.sort((a, b) => a[0] - b[0]);
  return events.map(([ms, text]) => `${at(ms)}  ${text}`).join("\n");
}

export function formatReport(
  summary: Summary,
  meta: Record<string, unknown> & { startup: Record<string, number> },
): string {
  const out: string[] = [];
  const service = meta.path === "service";
  out.push(
    `clip-audio benchmark: ${service ? "SERVICE path (the headline)" : "PROCESS path (one process per run)"}, plan ${String(meta.plan)}, ${String(meta.reps)} interleaved repetitions, links ${(meta.links as number[]).join(" and ")} Mbit/s (server-side token bucket), bucket = s3rver (a test double of S3)`,
  );
  out.push(
    service
      ? `ours = ${String(meta.engineCli)}, one signed POST /jobs per clip; baseline = bench/baseline.ts --serve (yt_dlp warm in its Python, mp4/best to disk, ffprobe, ffmpeg, sequential uploads); both started once and warmed with one unmeasured job`
      : `ours = ${String(meta.engineCli ?? "(engine CLI not found)")}; baseline = node bench/baseline.ts (yt_dlp imported once per process)`,
  );
  out.push(
    `clip offered as ${meta.offer === "hls" ? "an HLS master playlist" : "a page of <source> progressive MP4 renditions"}`,
  );
  out.push(
    service
      ? "time = request sent to the service -> its answer (ours: the `completed` event, after the manifest is written; baseline: after its last upload); median [min-max]"
      : "time = spawn to exit of the pipeline's process (ours: manifest written; baseline: last upload); median [min-max]",
  );
  out.push(
    service
      ? "node RSS = peak RSS of the service's Node process sampled during the runs (max over runs); tree RSS = sampled peak of the service's whole process tree (Node + resident yt-dlp workers + ffmpeg)"
      : "node RSS = VmHWM of the pipeline's Node process (max over runs); tree RSS = sampled peak of Node + yt-dlp + ffmpeg together; CPU = Node + all reaped children",
  );
  out.push(
    "speedup = baseline time / this time in the same case; `=` marks the like-for-like row (ours with video kept: the same outputs as the baseline); video-off rows store no video, a different output",
  );
  out.push(
    "floor = max(transfer of the rendition this pipeline fetches over the link, ffmpeg decoding its audio alone, timed right before each step); x floor = median time / floor",
  );
  out.push("");
  const singles = summary.cases.filter((c) => c.kind === "single");
  out.push(
    table(
      [
        "input",
        "link",
        "pipeline",
        "n",
        "time s",
        "speedup",
        "floor s",
        "x floor",
        "MB down",
        "/base",
        "node RSS MB",
        "/base",
        "tree RSS MB",
        "CPU s",
        "/base",
      ],
      singles.map(singleRow),
    ),
  );
  out.push("");
  out.push("floors (transfer and decode overlap, so the floor is the larger of the two):");
  for (const [k, l] of Object.entries(summary.limits)) {
    const [length, link] = k.split("@");
    out.push(
      `  ${LENGTH_LABEL[length as "clip" | "long"]} @ ${link} Mbit/s, ${l.rendition} ${(l.bytes / 1e6).toFixed(1)} MB: transfer ${f(l.transferSeconds)} s, decode ${f(l.decodeSeconds)} s (median of the interleaved timings) -> floor ${f(l.seconds)} s`,
    );
  }
  const batches = summary.cases.filter((c) => c.kind === "batch");
  if (batches.length) {
    out.push("");
    out.push(
      `batch of ${batches[0]?.clips} clips (60 s each): baseline sequential like the original; ours ${service ? "all jobs sent at once, the engine runs JOB_CONCURRENCY (2) at a time" : meta.batchRunner ? "processClip() JOB_CONCURRENCY=2 at a time, the service's default (bench/engine-runner.ts)" : "through the CLI"}; link allows = clips/min the link carries for the rendition fetched:`,
    );
    out.push(
      table(
        [
          "input",
          "link",
          "pipeline",
          "wall s",
          "clips/min",
          "link allows",
          "link %",
          "x base",
          "MB down",
          "node RSS MB",
          "tree RSS MB",
          "CPU s",
        ],
        batches.map((c) => [
          LENGTH_LABEL[c.length],
          `${c.linkMbps} Mbit/s`,
          `${c.pipeline}${c.allComplete ? "" : " (FAILED)"}`,
          f(c.seconds.median),
          f(c.clipsPerMinute, 1),
          f(c.linkClipsPerMinute, 1),
          c.linkShare == null ? "-" : f(c.linkShare * 100, 0),
          c.vsBaseline ? f(c.vsBaseline.throughput, 1) : "-",
          f(c.mbDownloaded.median, 1),
          f(c.nodeRssMb.max, 0),
          f(c.treeRssMb.max, 0),
          f(c.cpuSeconds.median),
        ]),
      ),
    );
  }
  out.push("");
  out.push("targets:");
  for (const t of summary.targets) out.push(`  [${t.met ? "met" : "NOT met"}] ${t.name}: ${t.measured}`);
  out.push("");
  out.push(
    `fixed costs (median of 3): node start ${f(meta.startup.nodeBootSeconds, 3)} s, yt-dlp --version ${f(meta.startup.ytDlpVersionSeconds, 3)} s, ffmpeg -version ${f(meta.startup.ffmpegVersionSeconds, 3)} s`,
  );
  for (const [pipeline, run] of Object.entries(summary.breakdownRuns)) {
    if (!run) continue;
    out.push("");
    out.push(
      `timeline of the median ${pipeline} run, 60 s clip @ ${run.linkMbps} Mbit/s (${run.measurement.wallSeconds.toFixed(2)} s; t=0 at spawn):`,
    );
    const split = phases(run);
    if (split) out.push(`  phases (s): ${split}`);
    out.push(timeline(run));
  }
  out.push("");
  out.push(
    `total bench time ${f(meta.totalSeconds as number, 0)} s (fixture generation ${f(meta.fixturesGeneratedSeconds as number, 0)} s)`,
  );
  const load = meta.loadAverage as { start: number[]; end: number[] } | undefined;
  if (load) {
    const avg = (l: number[]) => l.map((x) => x.toFixed(2)).join(", ");
    out.push(`load average (1, 5, 15 min) at start ${avg(load.start)}, at end ${avg(load.end)}`);
  }
  return `${out.join("\n")}\n`;
}
