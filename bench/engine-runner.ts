/**
 * Runs the engine's processClip() in a child process for the batch figure:
 * `node bench/engine-runner.ts process <ids...> [--no-video]`. The clips run JOB_CONCURRENCY at
 * a time (the service's default concurrency, 2; the CLI runs them one after another), into the
 * bucket configured by the environment. Also stands in for the CLI when it is not committed.
 * Exit code 1 when any clip failed.
 */
// As the engine's entry points do: dead Buffers freed after a few MB (container/src/heap.ts).
import "../container/src/heap.ts";
import { loadConfig } from "../container/src/config.ts";
import { processClip } from "../container/src/pipeline.ts";
import { S3Sink } from "../container/src/sinks/s3.ts";
import { s3Settings } from "../shared/config.ts";

const config = loadConfig();
const settings = s3Settings(config);
if (!settings) throw new Error("engine runner: S3_ENDPOINT, R2_ACCESS_KEY_ID and R2_SECRET_ACCESS_KEY are required");
const sink = new S3Sink(settings);
const args = process.argv.slice(2);
if (args[0] === "process") args.shift();
const noVideo = args.includes("--no-video");
const ids = args.filter((a) => !a.startsWith("--"));

let failed = 0;
let next = 0;
const worker = async () => {
  while (next < ids.length) {
    const id = ids[next++] as string;
    try {
      await processClip(id, { config, sink, force: true, storeVideo: !noVideo });
    } catch (error) {
      failed++;
      console.error(`${id}: ${String(error)}`);
    }
  }
};
await Promise.all(Array.from({ length: Math.min(config.JOB_CONCURRENCY, ids.length) }, worker));
sink.close();
process.exitCode = failed ? 1 : 0;
