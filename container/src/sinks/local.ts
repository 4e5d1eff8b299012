/**
 * The bucket layout in a local folder, for the command line with no cloud account. Each file
 * is written beside its final name and renamed into place, so a reader never sees half of it.
 */
import { randomBytes } from "node:crypto";
import { createWriteStream } from "node:fs";
import { mkdir, readFile, rename, rm, stat } from "node:fs/promises";
import { dirname, join, resolve, sep } from "node:path";
import { Readable } from "node:stream";
import { pipeline } from "node:stream/promises";
import { ClipAudioError } from "../../../shared/errors.ts";
import type { Body, PutOptions, Sink } from "./sink.ts";

export class LocalSink implements Sink {
  readonly description: string;
  readonly #root: string;

  constructor(root: string) {
    this.#root = resolve(root);
    this.description = `folder ${this.#root}`;
  }

  #path(key: string): string {
    const path = resolve(join(this.#root, key));
    if (!path.startsWith(this.#root + sep))
      throw new ClipAudioError("internal", `Key escapes the output folder: ${key}`);
    return path;
  }

  async exists(key: string): Promise<boolean> {
    return stat(this.#path(key)).then(
      () => true,
      () => false,
    );
  }

  async readText(key: string): Promise<string | null> {
    try {
      return await readFile(this.#path(key), "utf8");
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === "ENOENT") return null;
      throw new ClipAudioError("storage_failed", `Could not read ${key}: ${(error as Error).message}`);
    }
  }

  async put(key: string, body: Body, options: PutOptions): Promise<void> {
    const path = this.#path(key);
    const partial = `${path}.${randomBytes(4).toString("hex")}.partial`;
    try {
      await mkdir(dirname(path), { recursive: true });
      const source = typeof body === "string" || Buffer.isBuffer(body) ? Readable.from([body]) : body;
      await pipeline(source, createWriteStream(partial), { signal: options.signal });
      await rename(partial, path);
    } catch (error) {
      await rm(partial, { force: true });
      throw new ClipAudioError("storage_failed", `Could not write ${key}: ${(error as Error).message}`, {
        cause: error,
      });
    }
  }

  async delete(key: string): Promise<void> {
    await rm(this.#path(key), { force: true });
  }

  close(): void {}
}
