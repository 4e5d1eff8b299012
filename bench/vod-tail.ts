/**
 * The VOD's tail, step by step (issue 22): what runs after the last byte of a 60-minute VOD is
 * decoded. A 60-minute 16 kHz mono WAV (115 MB, made with ffmpeg) and its chunk plan go through
 * the engine's own uploadArtifacts into a local s3rver bucket (the test double of R2), with the
 * manifest's hash beside them as produce() runs it; every PUT's start and end is recorded, so
 * the rows say how long the chunks, the WAV's PUT and the hash each take.
 *
 * Variants, interleaved: `after` (upload.ts as it is: chunks, then the WAV's single PUT) and
 * `staged`, a prototype of issue 22's idea that exists only here: the WAV goes up as a multipart
 * upload beside the chunks and is completed where today's PUT is. It cannot start while ffmpeg
 * decodes: S3 and R2 fix an object's metadata at CreateMultipartUpload, and the WAV's (and every
 * chunk's) metadata carries `duration`, known only once the decode has ended (CONTRACT.md).
 *
 *   node bench/vod-tail.ts [--reps 3] [--minutes 60] [--rtt 0] [--before DIR]
 *
 * s3rver writes to the local disk: these times are CPU and disk on this machine, not R2's
 * network. `--rtt MS` holds every request to the bucket for MS first (latency-proxy.ts), a model
 * of a distant bucket's round trips. `--before DIR`: another checkout's uploadArtifacts (e.g.
 * `git archive <base> | tar -x -C DIR`, node_modules linked) as a third variant. Variants run
 * interleaved; compare rows of one run only.
 */
import { execFileSync } from "node:child_process";
import { createHash } from "node:crypto";
import { createReadStream, mkdtempSync, rmSync } from "node:fs";
import { loadavg, tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import {
  CompleteMultipartUploadCommand,
  CreateMultipartUploadCommand,
  S3Client,
  UploadPartCommand,
} from "@aws-sdk/client-s3";
import pMap from "p-map";
import { planChunks } from "../container/src/chunking.ts";
import { loadConfig } from "../container/src/config.ts";
import type { Context } from "../container/src/context.ts";
import { forEachPiece } from "../container/src/file-pieces.ts";
import { S3Sink } from "../container/src/sinks/s3.ts";
import type { Body, PutOptions } from "../container/src/sinks/sink.ts";
import { type Artifacts, uploadArtifacts } from "../container/src/upload.ts";
import { readWavInfo } from "../container/src/wav.ts";
import { keys } from "../shared/keys.ts";
import { S3RVER_CREDENTIALS, startBucket } from "./bucket.ts";
import { startLatencyProxy } from "./latency-proxy.ts";
import { spread } from "./stats.ts";

/** S3Sink that notes when each PUT starts and ends (ms since the run's start). */
class TimedSink extends S3Sink {
  t0 = performance.now();
  readonly spans = new Map<string, { start: number; end: number }>();
  override async put(key: string, body: Body, options: PutOptions): Promise<void> {
    const start = performance.now() - this.t0;
    await super.put(key, body, options);
    this.spans.set(key, { start, end: performance.now() - this.t0 });
  }
}

/**
 * The WAV as a multipart upload started beside the chunks (parts read from file ranges), and
 * completed where today's PUT would be: a put of the WAV's key waits for its parts and completes.
 */
class StagedWavSink extends TimedSink {
  staged: Promise<{ uploadId: string; parts: { PartNumber: number; ETag: string }[] }> | null = null;
  stage(client: S3Client, bucket: string, key: string, path: string, bytes: number, partBytes: number) {
    this.staged = (async () => {
      const created = await client.send(
        new CreateMultipartUploadCommand({ Bucket: bucket, Key: key, ContentType: "audio/wav" }),
      );
      const uploadId = created.UploadId as string;
      const numbers = Array.from({ length: Math.ceil(bytes / partBytes) }, (_, i) => i + 1);
      const parts = await pMap(
        numbers,
        async (n) => {
          const start = (n - 1) * partBytes;
          const length = Math.min(partBytes, bytes - start);
          const part = await client.send(
            new UploadPartCommand({
              Bucket: bucket,
              Key: key,
              UploadId: uploadId,
              PartNumber: n,
              Body: createReadStream(path, { start, end: start + length - 1 }),
              ContentLength: length,
            }),
          );
          return { PartNumber: n, ETag: part.ETag as string };
        },
        { concurrency: 2 },
      );
      return { uploadId, parts };
    })();
    this.staged.catch(() => undefined);
    this.client = client;
    this.bucketName = bucket;
    this.wavKey = key;
  }
  client: S3Client | null = null;
  bucketName = "";
  wavKey = "";
  override async put(key: string, body: Body, options: PutOptions): Promise<void> {
    if (key !== this.wavKey || !this.staged || !this.client) return super.put(key, body, options);
    const start = performance.now() - this.t0;
    if (typeof body !== "string" && !Buffer.isBuffer(body)) body.destroy();
    const { uploadId, parts } = await this.staged;
    await this.client.send(
      new CompleteMultipartUploadCommand({
        Bucket: this.bucketName,
        Key: key,
        UploadId: uploadId,
        MultipartUpload: { Parts: parts },
      }),
    );
    this.spans.set(key, { start, end: performance.now() - this.t0 });
  }
}

async function hashFile(path: string): Promise<number> {
  const t0 = performance.now();
  const hash = createHash("sha256");
  await forEachPiece(path, (piece) => hash.update(piece));
  hash.digest("hex");
  return performance.now() - t0;
}

const { values } = parseArgs({
  options: {
    reps: { type: "string", default: "3" },
    minutes: { type: "string", default: "60" },
    rtt: { type: "string", default: "0" },
    before: { type: "string" },
  },
});
const dir = mkdtempSync(join(tmpdir(), "vod-tail-"));
const wavPath = join(dir, "audio.wav");
// A tone with a quieter beat, so the peaks pass has real work; the content does not change the cost.
execFileSync("ffmpeg", [
  "-nostdin",
  "-v",
  "error",
  "-f",
  "lavfi",
  "-i",
  `sine=frequency=440:sample_rate=16000:duration=${Number(values.minutes) * 60}`,
  "-ac",
  "1",
  "-c:a",
  "pcm_s16le",
  "-y",
  wavPath,
]);
const wav = await readWavInfo(wavPath);
const bucket = await startBucket("clip-recap-tail");
// No proxy at 0 ms: it would add its own piping to this process's CPU.
const proxy = Number(values.rtt) > 0 ? await startLatencyProxy(bucket.endpoint, Number(values.rtt)) : null;
const endpoint = proxy?.endpoint ?? bucket.endpoint;
const config = loadConfig({ ...process.env, S3_ENDPOINT: endpoint, ...S3RVER_CREDENTIALS });
const settings = {
  endpoint,
  bucket: bucket.bucket,
  accessKeyId: S3RVER_CREDENTIALS.R2_ACCESS_KEY_ID,
  secretAccessKey: S3RVER_CREDENTIALS.R2_SECRET_ACCESS_KEY,
  region: "auto",
};
const chunks = planChunks({
  totalSamples: wav.dataBytes / wav.blockAlign,
  sampleRate: wav.sampleRate,
  targetSeconds: config.CHUNK_SECONDS,
  overlapSeconds: config.CHUNK_OVERLAP_SECONDS,
  silences: [],
});
const client = new S3Client({
  endpoint,
  region: "auto",
  forcePathStyle: true,
  credentials: { accessKeyId: settings.accessKeyId, secretAccessKey: settings.secretAccessKey },
  requestChecksumCalculation: "WHEN_REQUIRED",
});
type UploadArtifacts = (context: Context, artifacts: Artifacts) => Promise<unknown>;
const before: UploadArtifacts | null = values.before
  ? (await import(join(values.before, "container/src/upload.ts"))).uploadArtifacts
  : null;
const engines: Record<string, UploadArtifacts> = before
  ? { before, after: uploadArtifacts, staged: uploadArtifacts }
  : { after: uploadArtifacts, staged: uploadArtifacts };
const variants = Object.keys(engines);
const rows: Record<string, number[]> = {};
const note = (name: string, ms: number) => {
  rows[name] ??= [];
  rows[name].push(ms);
};
const loadStart = loadavg();
try {
  for (let rep = 0; rep < Number(values.reps) * variants.length; rep++) {
    const variant = variants[(rep + Math.floor(rep / variants.length)) % variants.length] as string;
    const sink = variant === "staged" ? new StagedWavSink(settings) : new TimedSink(settings);
    const id = `tail${rep}`;
    const context = {
      source: { id, kind: "vod", url: "", range: null },
      options: { config, sink },
      workDir: dir,
      emit: () => {},
      progress: () => {},
    } as unknown as Context;
    const media = { wavPath, videoPath: "", logPath: "", downloadedBytes: 0, silences: [], muted: [] };
    sink.t0 = performance.now();
    if (sink instanceof StagedWavSink)
      sink.stage(client, bucket.bucket, keys.wav(id), wavPath, wav.dataOffset + wav.dataBytes, 16 * 1024 * 1024);
    const [hashMs] = await Promise.all([
      hashFile(wavPath),
      (engines[variant] as UploadArtifacts)(context, { media, wav, duration: 0, chunks, storeVideo: false }),
    ]);
    const total = performance.now() - sink.t0;
    const chunkSpans = chunks.map((c) => sink.spans.get(keys.chunk(id, c.index)));
    const wavSpan = sink.spans.get(keys.wav(id));
    const peaksSpan = sink.spans.get(keys.peaks(id));
    if (!wavSpan || !peaksSpan || chunkSpans.some((s) => !s)) throw new Error("a PUT was not recorded");
    note(`${variant} total`, total);
    note(`${variant} chunks done at`, Math.max(...chunkSpans.map((s) => s?.end ?? 0)));
    note(`${variant} WAV put (staged: complete)`, wavSpan.end - wavSpan.start);
    note(`${variant} hash`, hashMs);
    sink.close();
    await bucket.empty();
    process.stderr.write(`${variant} run ${rep + 1}: total ${(total / 1000).toFixed(2)} s\n`);
  }
  const f = (ms: number) => (ms / 1000).toFixed(2);
  const lines = [
    `tail of a ${values.minutes}-minute VOD: WAV ${(wav.dataBytes / 1e6).toFixed(1)} MB, ${chunks.length} chunks of ${config.CHUNK_SECONDS} s, into s3rver, ${values.rtt} ms per request`,
    "variant step | seconds, median [min-max]",
  ];
  for (const [name, ms] of Object.entries(rows)) {
    const s = spread(ms);
    lines.push(`${name} | ${f(s.median)} [${f(s.min)}-${f(s.max)}]`);
  }
  lines.push(
    `load average at start ${loadStart.map((x) => x.toFixed(2)).join(" ")}, at end ${loadavg()
      .map((x) => x.toFixed(2))
      .join(" ")}`,
  );
  process.stdout.write(`${lines.join("\n")}\n`);
} finally {
  await proxy?.close();
  await bucket.stop();
  rmSync(dir, { recursive: true, force: true });
}
