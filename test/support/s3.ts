/**
 * A local S3-protocol server for tests: s3rver, a test double of S3 (no MinIO here). Both the
 * engine (aws-sdk) and the Worker (aws4fetch) talk to it as they would to R2.
 */
import { mkdtempSync, rmSync } from "node:fs";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
// @ts-expect-error s3rver ships no types
import S3rver from "s3rver";
import { makePutsAtomic } from "./s3-atomic.ts";

export const TEST_BUCKET = "clip-recap-pipeline";

export interface LocalS3 {
  endpoint: string;
  /** The variables that point the engine and the Worker at it. */
  env: Record<string, string>;
  close(): Promise<void>;
}

export async function startS3(): Promise<LocalS3> {
  const directory = mkdtempSync(join(tmpdir(), "s3rver-"));
  const server = new S3rver({
    port: 0,
    address: "127.0.0.1",
    silent: true,
    directory,
    configureBuckets: [{ name: TEST_BUCKET }],
  });
  // Like S3 and R2, show an object only once its upload has completed (see s3-atomic.ts).
  await makePutsAtomic(server.store, `${directory}-partial`);
  const address = (await server.run()) as AddressInfo;
  const endpoint = `http://127.0.0.1:${address.port}`;
  return {
    endpoint,
    env: { S3_ENDPOINT: endpoint, R2_ACCESS_KEY_ID: "S3RVER", R2_SECRET_ACCESS_KEY: "S3RVER", R2_BUCKET: TEST_BUCKET },
    close: async () => {
      await server.close();
      rmSync(directory, { recursive: true, force: true });
      rmSync(`${directory}-partial`, { recursive: true, force: true });
    },
  };
}
