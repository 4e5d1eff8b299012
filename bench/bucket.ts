/**
 * The local bucket both pipelines upload to: s3rver, a test double of S3 (not R2 and not a real
 * object store: it writes objects to files and answers the S3 API), started by the tests' own
 * launcher (test/support/s3-process.ts) as its own process, so its CPU and disk work is charged
 * to neither pipeline nor to the fixture server's event loop.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { DeleteObjectsCommand, ListObjectsV2Command, S3Client } from "@aws-sdk/client-s3";
import { execa, type ResultPromise } from "execa";
import { freePort } from "../scripts/stack.ts";
import { S3RVER_KEYS } from "../test/support/s3-credentials.ts";
import { ROOT } from "./fixtures.ts";

export { S3RVER_CREDENTIALS } from "../test/support/s3-credentials.ts";

const READY_TIMEOUT_MS = 15_000;

export interface LocalBucket {
  endpoint: string;
  bucket: string;
  /** Every object: key → size. */
  list(): Promise<Map<string, number>>;
  /** Deletes every object (between runs, so the disk does not fill up with 30-minute videos). */
  empty(): Promise<void>;
  stop(): Promise<void>;
}

/** `address`: where s3rver listens (Docker's bridge gateway when the engine runs in a container). */
export async function startBucket(bucket: string, address = "127.0.0.1"): Promise<LocalBucket> {
  const dir = mkdtempSync(join(tmpdir(), "bench-s3rver-"));
  const port = await freePort();
  const child: ResultPromise = execa(
    process.execPath,
    [
      join(ROOT, "test/support/s3-process.ts"),
      ...["--directory", dir, "--address", address, "--port", String(port), "--bucket", bucket],
    ],
    { reject: false, stdio: "ignore" },
  );
  const endpoint = `http://${address}:${port}`;
  const client = new S3Client({
    endpoint,
    region: "auto",
    forcePathStyle: true,
    credentials: S3RVER_KEYS,
  });
  const deadline = Date.now() + READY_TIMEOUT_MS;
  for (;;) {
    try {
      await client.send(new ListObjectsV2Command({ Bucket: bucket, MaxKeys: 1 }));
      break;
    } catch (error) {
      if (Date.now() > deadline) throw new Error(`s3rver did not start: ${String(error)}`);
      await sleep(100);
    }
  }

  async function list(): Promise<Map<string, number>> {
    const objects = new Map<string, number>();
    let token: string | undefined;
    do {
      const page = await client.send(new ListObjectsV2Command({ Bucket: bucket, ContinuationToken: token }));
      for (const object of page.Contents ?? []) objects.set(object.Key ?? "", object.Size ?? 0);
      token = page.IsTruncated ? page.NextContinuationToken : undefined;
    } while (token);
    return objects;
  }

  return {
    endpoint,
    bucket,
    list,
    async empty() {
      const all = [...(await list()).keys()];
      for (let i = 0; i < all.length; i += 1000) {
        await client.send(
          new DeleteObjectsCommand({
            Bucket: bucket,
            Delete: { Objects: all.slice(i, i + 1000).map((Key) => ({ Key })) },
          }),
        );
      }
    },
    async stop() {
      client.destroy();
      child.kill("SIGTERM");
      await child;
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
