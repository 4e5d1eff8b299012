/** Where a clip's artifacts go: the bucket through the S3 API, or a local folder. */
import type { Readable } from "node:stream";
import type { BucketReader } from "../../../shared/bucket.ts";

export interface PutOptions {
  contentType: string;
  metadata?: Record<string, string>;
  contentLength?: number;
  /** Aborts the write: it fails and leaves no object (the clip's other uploads failed, or the job was cancelled). */
  signal?: AbortSignal;
}

export type Body = string | Buffer | Readable;

export interface Sink extends BucketReader {
  /** For logs and the CLI: the bucket or folder written to (never credentials). */
  readonly description: string;
  put(key: string, body: Body, options: PutOptions): Promise<void>;
  delete(key: string): Promise<void>;
  close(): void;
}
