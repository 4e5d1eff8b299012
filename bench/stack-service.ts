/**
 * The whole-stack row: the local stack as `npm start` runs it (scripts/stack.ts: `wrangler dev`
 * Worker with its Durable Objects, the engine as a host process, a bucket), given the bench's
 * fixture "Twitch" and bucket, and asked for each clip with a signed synchronous
 * `POST /api/process-clips`, as the recap pipeline asks. time = request sent → response.
 *
 * Two recording hops (bench/recorder.ts) sit in front of the engine (CONTAINER_URL) and the bucket
 * (S3_ENDPOINT), for the breakdown (bench/stack-breakdown.ts). They cost the figure ~15-20 ms a
 * clip (the 1.9 MB WAV PUT: 34 ms through the hop, 22 ms direct), the same for both sides of an
 * A/B. The stack's own s3rver starts too but stays unused: the objects go to the bench's bucket,
 * where the other rows' go, so the same checks apply to them.
 *
 * `root` may be another checkout (e.g. the base commit's, with node_modules linked): its
 * scripts/stack.ts starts its own Worker and engine, for an A/B measured interleaved.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { signRequest } from "../shared/hmac.ts";
import { type HopRecord, type Recorder, startRecorder } from "./recorder.ts";

const SECRET = "bench-stack-secret-0123456789abcdef0123";

export interface StackService {
  name: string;
  /** The engine process's pid (its memory is sampled like the engine service's). */
  pid: number;
  /** One clip through the stack: null when it succeeded, else what went wrong. */
  process(clipId: string): Promise<string | null>;
  /** The hops' records since the last call: the engine's (job stream) and the bucket's. */
  hops(): { engine: HopRecord[]; bucket: HopRecord[] };
  stop(): Promise<void>;
}

type StackModule = typeof import("../scripts/stack.ts");

export async function startStackService(
  name: string,
  root: string,
  env: { CLIP_SOURCE_URL_TEMPLATE: string; S3_ENDPOINT: string; R2_BUCKET: string },
): Promise<StackService> {
  const { freePort, startStack } = (await import(join(root, "scripts/stack.ts"))) as StackModule;
  const [worker, container, bucket, inspector] = await Promise.all([freePort(), freePort(), freePort(), freePort()]);
  const engineHop: Recorder = await startRecorder(`http://127.0.0.1:${container}`);
  const bucketHop: Recorder = await startRecorder(env.S3_ENDPOINT);
  const dataDir = mkdtempSync(join(tmpdir(), "bench-stack-"));
  const stack = await startStack({
    ports: { worker, container, bucket, inspector },
    dataDir,
    env: {
      ...env,
      S3_ENDPOINT: bucketHop.url,
      CONTAINER_URL: engineHop.url,
      HMAC_SHARED_SECRET: SECRET,
      // The default deployment: audio only, the smallest rendition.
      STORE_VIDEO: "false",
      RATE_LIMIT_REQUESTS: "100000",
      RATE_LIMIT_WINDOW_SECONDS: "60",
      LOG_LEVEL: "warn",
    },
    log: (service, line) => {
      if (/"level":"(warn|error)"|ERROR|Error:/.test(line)) process.stderr.write(`[${name} ${service}] ${line}\n`);
    },
  });
  const url = `${stack.urls.worker}/api/process-clips`;
  return {
    name,
    pid: stack.processes.container?.pid as number,
    async process(clipId) {
      const body = JSON.stringify({ clip_ids: [clipId] });
      const headers = {
        "content-type": "application/json",
        "CF-Connecting-IP": "198.51.100.7",
        ...(await signRequest(SECRET, body)),
      };
      const response = await fetch(url, { method: "POST", headers, body });
      const text = await response.text();
      if (!response.ok) return `HTTP ${response.status}: ${text.slice(0, 300)}`;
      const answer = JSON.parse(text) as { success: boolean; results: { results: { error: string | null }[] } };
      return answer.success ? null : `${clipId}: ${answer.results.results[0]?.error ?? text.slice(0, 300)}`;
    },
    hops: () => ({ engine: engineHop.take(), bucket: bucketHop.take() }),
    async stop() {
      await stack.stop();
      await Promise.all([engineHop.close(), bucketHop.close()]);
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}
