/**
 * s3.ts's bucket as a process of its own, for `npm start` (scripts/stack.ts) and the benchmark
 * (bench/bucket.ts), so its CPU and disk work is charged to no other process:
 *
 *   node test/support/s3-process.ts --directory DIR [--address A] [--port P] [--bucket NAME]
 *
 * Prints one line `{"endpoint":"http://A:P"}` once it answers; stops on SIGTERM or SIGINT.
 */
import { parseArgs } from "node:util";
import { startS3 } from "./s3.ts";

const { values } = parseArgs({
  options: {
    directory: { type: "string" },
    address: { type: "string" },
    port: { type: "string" },
    bucket: { type: "string" },
  },
});
if (!values.directory) {
  console.error("usage: node test/support/s3-process.ts --directory DIR [--address A] [--port P] [--bucket NAME]");
  process.exit(2);
}
const s3 = await startS3({
  directory: values.directory,
  ...(values.address ? { address: values.address } : {}),
  ...(values.port ? { port: Number(values.port) } : {}),
  ...(values.bucket ? { bucket: values.bucket } : {}),
});
console.log(JSON.stringify({ endpoint: s3.endpoint }));
const stop = async () => {
  await s3.close();
  process.exit(0);
};
process.once("SIGTERM", () => void stop());
process.once("SIGINT", () => void stop());
