/**
 * The Worker's view of the bucket: one small interface, two implementations. In production the
 * R2 binding; locally, when S3_ENDPOINT is set, the S3 API (aws4fetch), because there the
 * container writes into a local S3 server and the Worker must see exactly those objects.
 * Every failure is a StorageError (503), never an empty answer.
 */

import { AwsClient } from "aws4fetch";
import type { BucketReader } from "../../shared/bucket.ts";
import { s3Settings } from "../../shared/config.ts";
import type { WorkerConfig } from "./config.ts";
import { StorageError } from "./errors.ts";

export interface ListPage {
  keys: string[];
  prefixes: string[];
  truncated: boolean;
}

export interface ListOptions {
  prefix: string;
  delimiter?: string;
  startAfter?: string;
  limit: number;
}

/** What a HEAD tells: enough to answer a Range request. */
export interface ObjectHead {
  size: number;
  contentType: string | null;
}

/** Bytes `offset` .. `offset + length - 1` of an object. */
export interface ByteRange {
  offset: number;
  length: number;
}

export interface BucketStorage extends BucketReader {
  head(key: string): Promise<ObjectHead | null>;
  /** A stretch of the object's bytes as a stream (the console's audio player seeks with it). */
  getRange(key: string, range: ByteRange): Promise<ReadableStream<Uint8Array> | null>;
  list(options: ListOptions): Promise<ListPage>;
  delete(key: string): Promise<void>;
}

async function guarded<T>(action: string, work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (error) {
    if (error instanceof StorageError) throw error;
    throw new StorageError(`${action}: ${(error as Error)?.message ?? String(error)}`);
  }
}

export class R2Storage implements BucketStorage {
  readonly #bucket: R2Bucket;

  constructor(bucket: R2Bucket) {
    this.#bucket = bucket;
  }

  exists(key: string) {
    return guarded(`head ${key}`, async () => (await this.#bucket.head(key)) !== null);
  }

  readText(key: string) {
    return guarded(`get ${key}`, async () => (await (await this.#bucket.get(key))?.text()) ?? null);
  }

  head(key: string) {
    return guarded(`head ${key}`, async () => {
      const object = await this.#bucket.head(key);
      return object ? { size: object.size, contentType: object.httpMetadata?.contentType ?? null } : null;
    });
  }

  getRange(key: string, range: ByteRange) {
    return guarded(`get ${key}`, async () => (await this.#bucket.get(key, { range }))?.body ?? null);
  }

  list(options: ListOptions) {
    return guarded(`list ${options.prefix}`, async () => {
      const result = await this.#bucket.list({
        prefix: options.prefix,
        limit: options.limit,
        ...(options.delimiter ? { delimiter: options.delimiter } : {}),
        ...(options.startAfter ? { startAfter: options.startAfter } : {}),
      });
      return {
        keys: result.objects.map((o) => o.key),
        prefixes: result.delimitedPrefixes,
        truncated: result.truncated,
      };
    });
  }

  delete(key: string) {
    return guarded(`delete ${key}`, () => this.#bucket.delete(key));
  }
}

/** Each S3 request gets this long: a bucket that does not answer is an outage, not a wait. */
const S3_TIMEOUT_MS = 10_000;

function xmlValues(xml: string, tag: string): string[] {
  const pattern = new RegExp(`<${tag}>([\\s\\S]*?)</${tag}>`, "g");
  return [...xml.matchAll(pattern)].map((m) => decodeXml(m[1] as string));
}

function decodeXml(text: string): string {
  return text
    .replace(/&lt;/g, "<")
    .replace(/&gt;/g, ">")
    .replace(/&quot;/g, '"')
    .replace(/&apos;/g, "'")
    .replace(/&amp;/g, "&");
}

export class S3Storage implements BucketStorage {
  readonly #client: AwsClient;
  readonly #base: string;

  constructor(endpoint: string, bucket: string, accessKeyId: string, secretAccessKey: string) {
    this.#client = new AwsClient({ accessKeyId, secretAccessKey, service: "s3", region: "auto" });
    this.#base = `${endpoint.replace(/\/+$/, "")}/${encodeURIComponent(bucket)}`;
  }

  #url(key: string): string {
    return `${this.#base}/${key.split("/").map(encodeURIComponent).join("/")}`;
  }

  async #send(url: string, method: string, headers?: Record<string, string>): Promise<Response> {
    const response = await this.#client.fetch(url, {
      method,
      ...(headers ? { headers } : {}),
      signal: AbortSignal.timeout(S3_TIMEOUT_MS),
    });
    if (response.status >= 500 || response.status === 403 || response.status === 401) {
      throw new StorageError(`${method} answered HTTP ${response.status}`);
    }
    return response;
  }

  exists(key: string) {
    return guarded(`head ${key}`, async () => {
      const response = await this.#send(this.#url(key), "HEAD");
      return response.ok;
    });
  }

  readText(key: string) {
    return guarded(`get ${key}`, async () => {
      const response = await this.#send(this.#url(key), "GET");
      if (response.status === 404) return null;
      if (!response.ok) throw new StorageError(`GET answered HTTP ${response.status}`);
      return response.text();
    });
  }

  head(key: string) {
    return guarded(`head ${key}`, async () => {
      const response = await this.#send(this.#url(key), "HEAD");
      if (!response.ok) return null;
      return {
        size: Number(response.headers.get("content-length")),
        contentType: response.headers.get("content-type"),
      };
    });
  }

  getRange(key: string, range: ByteRange) {
    return guarded(`get ${key}`, async () => {
      const last = range.offset + range.length - 1;
      const response = await this.#send(this.#url(key), "GET", { range: `bytes=${range.offset}-${last}` });
      if (response.status === 404) return null;
      if (!response.ok) throw new StorageError(`GET answered HTTP ${response.status}`);
      return response.body;
    });
  }

  list(options: ListOptions) {
    return guarded(`list ${options.prefix}`, async () => {
      const query = new URLSearchParams({
        "list-type": "2",
        prefix: options.prefix,
        "max-keys": String(options.limit),
      });
      if (options.delimiter) query.set("delimiter", options.delimiter);
      if (options.startAfter) query.set("start-after", options.startAfter);
      const response = await this.#send(`${this.#base}?${query}`, "GET");
      if (!response.ok) throw new StorageError(`list answered HTTP ${response.status}`);
      const xml = await response.text();
      const prefixes = [...xml.matchAll(/<CommonPrefixes>([\s\S]*?)<\/CommonPrefixes>/g)].flatMap((m) =>
        xmlValues(m[1] as string, "Prefix"),
      );
      const contents = [...xml.matchAll(/<Contents>([\s\S]*?)<\/Contents>/g)].flatMap((m) =>
        xmlValues(m[1] as string, "Key"),
      );
      return { keys: contents, prefixes, truncated: xmlValues(xml, "IsTruncated")[0] === "true" };
    });
  }

  delete(key: string) {
    return guarded(`delete ${key}`, async () => {
      const response = await this.#send(this.#url(key), "DELETE");
      if (!response.ok && response.status !== 404) throw new StorageError(`DELETE answered HTTP ${response.status}`);
    });
  }
}

/** S3 when S3_ENDPOINT is configured (local development), else the R2 binding. */
export function bucketStorage(env: { BUCKET: R2Bucket }, config: WorkerConfig): BucketStorage {
  const settings = config.S3_ENDPOINT ? s3Settings(config) : null;
  if (settings)
    return new S3Storage(settings.endpoint, settings.bucket, settings.accessKeyId, settings.secretAccessKey);
  return new R2Storage(env.BUCKET);
}
