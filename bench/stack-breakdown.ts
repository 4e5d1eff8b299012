/**
 * Where a clip's time goes, from what the benchmark sees from outside: the fixture server's
 * request log (yt-dlp's extraction, ffmpeg's playlist and media requests), and for the whole
 * stack the recording hops (bench/recorder.ts) in front of the engine (its job request and the
 * events of its stream) and of the bucket (uploads, the manifest, the Worker's check of it).
 * Each mark is milliseconds after the request was sent; the report prints the median per mark.
 */
import type { HopRecord } from "./recorder.ts";
import type { PipelineName, Run } from "./runs.ts";
import type { RequestRecord } from "./server.ts";

/** The marks in path order; a run has those its pipeline lets the bench see. */
export const MARKS = [
  "worker: new-clip HEAD sent",
  "worker: new-clip HEAD done",
  "engine: job request in",
  "engine: manifest check sent",
  "engine: manifest checked (GET, force=false)",
  "source: first request (extraction starts)",
  "source: media playlist (extraction done)",
  "source: first media request",
  "source: media fully sent (download end)",
  "engine: extracting (decode done)",
  "engine: uploading (hash done)",
  "bucket: WAV PUT done",
  "bucket: manifest PUT done",
  "engine: completed event",
  "worker: manifest HEAD done",
  "response",
] as const;
export type Mark = (typeof MARKS)[number];
export type Marks = Partial<Record<Mark, number>>;

const first = <T>(list: T[], test: (item: T) => boolean) => list.find(test);

/** Marks from the fixture server's log (every service-path pipeline has these). */
function sourceMarks(t0: number, requests: RequestRecord[]): Marks {
  const at = (ms: number | undefined) => (ms === undefined ? undefined : ms - t0);
  const media = requests.filter((r) => /^\/media\/[^?]*\.mp4(\?|$)/.test(r.path));
  const marks: Marks = {
    "source: first request (extraction starts)": at(requests[0]?.startMs),
    "source: media playlist (extraction done)": at(first(requests, (r) => /^\/media\/.*\.m3u8/.test(r.path))?.startMs),
    "source: first media request": at(media[0]?.startMs),
    "source: media fully sent (download end)": media.length ? at(Math.max(...media.map((r) => r.endMs))) : undefined,
  };
  return marks;
}

/** Marks from the hops in front of the engine and the bucket (the whole stack only). */
function hopMarks(t0: number, clipId: string, hops: { engine: HopRecord[]; bucket: HopRecord[] }): Marks {
  const at = (ms: number | undefined) => (ms === undefined ? undefined : ms - t0);
  const job = first(hops.engine, (r) => r.method === "POST" && r.path.startsWith("/jobs"));
  const event = (type: string, stage?: string) =>
    job?.events.find((e) => e.type === type && (stage === undefined || e.stage === stage))?.ms;
  const object = (method: string, key: string) =>
    first(hops.bucket, (r) => r.method === method && new URL(r.path, "http://x").pathname.endsWith(`/${key}`));
  const manifestKey = `audio/${clipId}.json`;
  const completed = event("completed");
  // The Worker's look for a finished clip before the job (known_new), where the Worker makes one.
  const lookedFirst = hops.bucket.find(
    (r) =>
      r.method === "HEAD" &&
      r.startMs <= (job?.startMs ?? 0) &&
      new URL(r.path, "http://x").pathname.endsWith(`/${manifestKey}`),
  );
  const head = hops.bucket.find(
    (r) =>
      r.method === "HEAD" &&
      r.startMs >= (completed ?? 0) &&
      new URL(r.path, "http://x").pathname.endsWith(`/${manifestKey}`),
  );
  return {
    "worker: new-clip HEAD sent": at(lookedFirst?.startMs),
    "worker: new-clip HEAD done": at(lookedFirst?.endMs),
    "engine: job request in": at(job?.startMs),
    "engine: manifest check sent": at(object("GET", manifestKey)?.startMs),
    "engine: manifest checked (GET, force=false)": at(object("GET", manifestKey)?.endMs),
    "engine: extracting (decode done)": at(event("state", "extracting")),
    "engine: uploading (hash done)": at(event("state", "uploading")),
    "bucket: WAV PUT done": at(object("PUT", `audio/${clipId}.wav`)?.endMs),
    "bucket: manifest PUT done": at(object("PUT", manifestKey)?.endMs),
    "engine: completed event": at(completed),
    "worker: manifest HEAD done": at(head?.endMs),
  };
}

export function marksOf(
  t0: number,
  clipId: string,
  requests: RequestRecord[],
  hops: { engine: HopRecord[]; bucket: HopRecord[] } | null,
  wallMs: number,
): Marks {
  const marks = { ...sourceMarks(t0, requests), ...(hops ? hopMarks(t0, clipId, hops) : {}), response: wallMs };
  return Object.fromEntries(Object.entries(marks).filter(([, v]) => v !== undefined)) as Marks;
}

const median = (list: number[]) => {
  const sorted = [...list].sort((a, b) => a - b);
  return sorted[Math.floor((sorted.length - 1) / 2)] as number;
};

/**
 * One table per link: each mark's median (ms after the request) per pipeline, and the step from
 * the mark before, for the single 60 s clip runs that carry marks.
 */
export function formatBreakdown(runs: Run[]): string[] {
  const out: string[] = [];
  const withMarks = runs.filter((r) => r.kind === "single" && r.length === "clip" && r.marks && r.complete);
  for (const link of [...new Set(withMarks.map((r) => r.linkMbps))]) {
    const group = withMarks.filter((r) => r.linkMbps === link);
    const pipelines = [...new Set(group.map((r) => r.pipeline))] as PipelineName[];
    const medians = pipelines.map((p) => {
      const list = group.filter((r) => r.pipeline === p);
      return Object.fromEntries(
        MARKS.map((mark) => {
          const values = list.map((r) => r.marks?.[mark]).filter((v): v is number => v !== undefined);
          return [mark, values.length ? median(values) : undefined];
        }),
      ) as Marks;
    });
    out.push("");
    out.push(
      `where the time goes, 60 s clip @ ${link} Mbit/s: median ms after the request was sent (step from the previous mark); t=0: request sent`,
    );
    const width = Math.max(...MARKS.map((m) => m.length));
    out.push(`  ${"mark".padEnd(width)}  ${pipelines.map((p) => p.padStart(18)).join("")}`);
    for (const mark of MARKS) {
      if (medians.every((m) => m[mark] === undefined)) continue;
      const cells = medians.map((m) => {
        const value = m[mark];
        if (value === undefined) return "-".padStart(18);
        const before = MARKS.slice(0, MARKS.indexOf(mark))
          .map((k) => m[k])
          .filter((v): v is number => v !== undefined)
          .at(-1);
        return `${value.toFixed(0)} (+${(value - (before ?? 0)).toFixed(0)})`.padStart(18);
      });
      out.push(`  ${mark.padEnd(width)}  ${cells.join("")}`);
    }
  }
  return out;
}
