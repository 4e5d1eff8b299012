/**
 * Gives s3rver (a test double of S3) S3's atomic PUT. s3rver streams a PUT's body straight
 * into the object's file, so a HEAD during a slow upload answers 200 with part of the object
 * (measured: 200 and 200 000 of 1 000 000 bytes a quarter-second into a PUT). S3 and R2 never
 * show an object before its PUT or multipart upload has completed, and the real caller relies
 * on that (it HEADs `audio/{id}.wav`). Here the body is written aside and renamed into place
 * when whole; a failed upload leaves nothing. Multipart uploads go through the same method
 * when completed. One difference stays: when an existing object is replaced, its new metadata
 * is in place a moment before its new bytes.
 */
import { createHash, randomUUID } from "node:crypto";
import { createWriteStream } from "node:fs";
import { mkdir, rename, rm } from "node:fs/promises";
import { dirname, join } from "node:path";
import { Readable, Transform } from "node:stream";
import { pipeline } from "node:stream/promises";

/** The parts of s3rver's FilesystemStore this patch uses (s3rver ships no types). */
interface FilesystemStore {
  getResourcePath(bucket: string, key: string, resource: string): string;
  putMetadata(bucket: string, key: string, metadata: unknown, md5: string): Promise<void>;
  putObject(object: S3Object): Promise<{ size: number; md5: string }>;
}

interface S3Object {
  bucket: string;
  key: string;
  content: Buffer | Readable;
  metadata: unknown;
}

/** Replaces `store.putObject`; partial bodies go in `partialDir` (outside the buckets, same disk). */
export async function makePutsAtomic(store: FilesystemStore, partialDir: string): Promise<void> {
  await mkdir(partialDir, { recursive: true });
  store.putObject = async (object) => {
    const partial = join(partialDir, randomUUID());
    const md5 = createHash("md5");
    let size = 0;
    const measure = new Transform({
      transform(chunk: Buffer, _encoding, done) {
        md5.update(chunk);
        size += chunk.length;
        done(null, chunk);
      },
    });
    const body = Buffer.isBuffer(object.content) ? Readable.from([object.content]) : object.content;
    try {
      await pipeline(body, measure, createWriteStream(partial));
      const path = store.getResourcePath(object.bucket, object.key, "object");
      await mkdir(dirname(path), { recursive: true });
      const digest = md5.digest("hex");
      await store.putMetadata(object.bucket, object.key, object.metadata, digest);
      await rename(partial, path);
      return { size, md5: digest };
    } finally {
      await rm(partial, { force: true });
    }
  };
}
