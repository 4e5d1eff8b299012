/**
 * How both sides read the bucket: the Worker through its binding (R2, or S3 when `S3_ENDPOINT`
 * is set: worker/src/storage.ts), the engine through its sink (S3, or a local folder:
 * container/src/sinks/). Both implement this, so what is read the same way is written once.
 */
import { keys } from "./keys.ts";
import { type Manifest, parseManifest } from "./schemas.ts";

export interface BucketReader {
  exists(key: string): Promise<boolean>;
  /** The object's bytes as text, or null when it does not exist. */
  readText(key: string): Promise<string | null>;
}

/** The clip's manifest, or null when it is absent or unreadable (the clip is then not complete). */
export async function readManifest(bucket: BucketReader, clipId: string): Promise<Manifest | null> {
  return parseManifest(await bucket.readText(keys.manifest(clipId)));
}
