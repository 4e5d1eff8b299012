/**
 * The demo for `npm start`: clips spoken on this machine (demo-clips.ts), served as Twitch
 * serves them (demo-server.ts) while they are made, and the banner's "Try it" lines.
 */

import { type DemoTimeline, makeDemoClips } from "./demo-clips.ts";
import { type DemoServer, type DemoServerOptions, startDemoServer } from "./demo-server.ts";
import { assertPortFree } from "./stack.ts";

export * from "./demo-clips.ts";
export * from "./demo-server.ts";

export interface DemoSource extends DemoServer {
  /** Resolves when every demo clip is made (at once when they were made before). */
  ready: Promise<DemoTimeline[]>;
}

/**
 * For `npm start`: serves `dir` on `port` at once and makes the clips meanwhile (first start
 * only), so making them overlaps the stack's start.
 */
export async function startDemo(options: DemoServerOptions): Promise<DemoSource> {
  if (options.port !== 0) await assertPortFree(options.port, "demo clips");
  const server = await startDemoServer(options);
  const ready = makeDemoClips(options.dir, options.clips);
  // Whoever awaits `ready` sees the failure; this keeps it from being reported twice.
  ready.catch(() => {});
  return { ...server, ready };
}

export interface TryItOptions {
  workerUrl: string;
  bucketUrl: string;
  bucket: string;
  /** The bucket's folder, relative to the repository (s3rver keeps each object in a file). */
  bucketDir: string;
  timelines: readonly DemoTimeline[];
  /** False when HMAC_SHARED_SECRET came from the environment or a file, not .dev-data/hmac-secret. */
  generatedSecret: boolean;
}

/** The banner's "Try it" lines: a request that succeeds offline, where its output lands, how to listen. */
export function tryItText(options: TryItOptions): string {
  const { workerUrl, bucketUrl, bucket, bucketDir, timelines } = options;
  const secret = options.generatedSecret
    ? "export HMAC_SHARED_SECRET=$(cat .dev-data/hmac-secret)"
    : "export HMAC_SHARED_SECRET=...   # the secret you configured";
  const clips = timelines.map((t) => `${t.id} (${Math.round(t.duration_s)} s)`).join(", ");
  const ids = JSON.stringify({ clip_ids: timelines.map((t) => t.id) });
  const first = timelines[0]?.id ?? "demo-hello";
  const chunked = timelines.find((t) => t.duration_s > 300)?.id ?? "demo-long";
  const audio = `${bucketUrl}/${bucket}/audio`;
  // The README prints the same commands; test/e2e/readme.test.ts checks that they agree.
  return `Try it with the demo clips, spoken on this machine (${clips}); no network needed:
  curl ${workerUrl}/health
  ${secret}
  scripts/signed-curl.sh POST ${workerUrl}/api/process-clips '${ids}'

The audio lands in the local bucket (s3rver: anonymous reads, unlike R2):
  ${audio}/${first}.wav   (16 kHz mono; manifest: audio/${first}.json)
  ${audio}/${chunked}/chunk_000.wav, chunk_001.wav, …   (the long clip, cut at its pauses)
  on disk: ${bucketDir}/${bucket}/<key>._S3rver_object (each object a file)
Listen (ffplay comes with ffmpeg; aplay works too):
  curl -so ${first}.wav ${audio}/${first}.wav
  curl -so chunk_000.wav ${audio}/${chunked}/chunk_000.wav
  ffplay -autoexit -nodisp ${first}.wav
  ffplay -autoexit -nodisp chunk_000.wav`;
}
