/**
 * The local S3-protocol server: s3rver, a test double of S3 (no MinIO here), given S3's atomic
 * PUT (s3-atomic.ts). The one launcher of it: the tests start it in their own process, `npm
 * start` (scripts/stack.ts) and the benchmark as a process of its own (s3-process.ts). Both the
 * engine (aws-sdk) and the Worker (aws4fetch) talk to it as they would to R2.
 */
import { mkdtempSync, rmSync } from "node:fs";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
// @ts-expect-error s3rver ships no types
import S3rver from "s3rver";
import { makePutsAtomic } from "./s3-atomic.ts";
import { S3RVER_CREDENTIALS } from "./s3-credentials.ts";

export { S3RVER_CREDENTIALS } from "./s3-credentials.ts";

export const TEST_BUCKET = "clip-recap-pipeline";

export interface S3Options {
  /** Where objects are kept; kept after close. Default: a temporary folder, removed on close. */
  directory?: string;
  /** Default 127.0.0.1. */
  address?: string;
  /** Default 0: a free port. */
  port?: number;
  /** The bucket created at start. Default TEST_BUCKET. */
  bucket?: string;
}

export interface LocalS3 {
  endpoint: string;
  /** The variables that point the engine and the Worker at it. */
  env: Record<string, string>;
  close(): Promise<void>;
}

export async function startS3(options: S3Options = {}): Promise<LocalS3> {
  const directory = options.directory ?? mkdtempSync(join(tmpdir(), "s3rver-"));
  const address = options.address ?? "127.0.0.1";
  const bucket = options.bucket ?? TEST_BUCKET;
  const server = new S3rver({
    port: options.port ?? 0,
    address,
    silent: true,
    directory,
    configureBuckets: [{ name: bucket }],
  });
  // Like S3 and R2, show an object only once its upload has completed (see s3-atomic.ts).
  const partialDir = `${directory}-partial`;
  await makePutsAtomic(server.store, partialDir);
  const { port } = (await server.run()) as AddressInfo;
  const endpoint = `http://${address}:${port}`;
  return {
    endpoint,
    env: { S3_ENDPOINT: endpoint, ...S3RVER_CREDENTIALS, R2_BUCKET: bucket },
    close: async () => {
      await server.close();
      if (!options.directory) rmSync(directory, { recursive: true, force: true });
      rmSync(partialDir, { recursive: true, force: true });
    },
  };
}
