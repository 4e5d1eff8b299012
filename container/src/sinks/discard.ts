/**
 * The canary's sink: the whole pipeline runs (extract, download, decode, chunk) and every
 * artifact is read to its end, but nothing reaches the bucket, so the canary clip never shows
 * up in listings or replaces a real clip's files.
 */
import { Readable } from "node:stream";
import type { Body, Sink } from "./sink.ts";

export class DiscardSink implements Sink {
  readonly description = "nowhere (canary: artifacts are produced and discarded)";

  async exists(): Promise<boolean> {
    return false;
  }

  async readText(): Promise<string | null> {
    return null;
  }

  async put(_key: string, body: Body): Promise<void> {
    if (body instanceof Readable) for await (const _ of body);
  }

  async delete(): Promise<void> {}

  close(): void {}
}
