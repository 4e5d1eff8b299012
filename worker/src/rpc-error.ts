/**
 * The error of the RPC door. An exception crossing a Workers RPC boundary arrives as a plain
 * `Error`: its class is lost. Cloudflare's docs promise only its message (and the name of a
 * standard Error type; own properties "are not propagated":
 * https://developers.cloudflare.com/workers/runtime-apis/rpc/error-handling/). The workerd
 * bundled here (1.20261117) does carry own properties (`name`, `status`, `detail`, plus
 * `remote: true`), but nothing here relies on that: the contract's status travels in the
 * message, `clip-audio <status>: <detail>`, and the caller turns what it caught back into this
 * class with `ClipAudioRpcError.from(error)`.
 *
 * No `cloudflare:workers` import here: calling Workers import this module.
 */

const PREFIX = "clip-audio";
const ENCODED = /^clip-audio (\d{3})(?: retry-after=(\d+))?: ([\s\S]*)$/;

export class ClipAudioRpcError extends Error {
  override readonly name = "ClipAudioRpcError";
  /** The status the HTTP API answers in the same case (400, 401, 404, 409, 429, 500, 503…). */
  readonly status: number;
  /** The contract's message, what the HTTP API puts in `{"detail": …}`. */
  readonly detail: string;
  /** With 429: seconds until a call would be admitted again (HTTP's `Retry-After`). */
  readonly retryAfterSeconds: number | null;

  constructor(status: number, detail: string, retryAfterSeconds: number | null = null) {
    const retry = retryAfterSeconds === null ? "" : ` retry-after=${retryAfterSeconds}`;
    super(`${PREFIX} ${status}${retry}: ${detail}`);
    this.status = status;
    this.detail = detail;
    this.retryAfterSeconds = retryAfterSeconds;
  }

  /** What the caller caught, as this class again; null when it is not one of ours (e.g. a network failure). */
  static from(error: unknown): ClipAudioRpcError | null {
    if (error instanceof ClipAudioRpcError) return error;
    const match = error instanceof Error ? ENCODED.exec(error.message) : null;
    if (!match) return null;
    return new ClipAudioRpcError(Number(match[1]), match[3] as string, match[2] ? Number(match[2]) : null);
  }
}
