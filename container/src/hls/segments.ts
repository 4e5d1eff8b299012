/**
 * An HLS VOD's segments fetched by Node, several ahead at once and handed on in order: fetched one
 * after another, every segment pays a round trip (a 60-minute VOD of 2 s segments: 1,800 of them,
 * over a minute at 40 ms against a transfer floor of about 20 s). The window is bounded in count
 * and in bytes, so memory holds a few segments, never the VOD. A segment that fails on the network
 * or with a 5xx is asked for again, alone; one the server refuses with 403/404/410 (Twitch's
 * answer for a muted part of a VOD) is "muted": left out here, silence of its length in the WAV.
 */
import { STATUS_CODES } from "node:http";
import { Readable } from "node:stream";
import { setTimeout as sleep } from "node:timers/promises";
import { type Dispatcher, request } from "undici";
import type { MutedRange } from "../../../shared/schemas.ts";
import type { MediaPlaylist, Segment } from "./playlist.ts";

/** Statuses that mean "this part is not served" (muted), not "the request failed". */
const MUTED_STATUSES = new Set([403, 404, 410]);
/** Tries of one segment on a network error or a 5xx/429 before the transfer fails. */
export const SEGMENT_TRIES = 4;
const RETRY_BASE_MS = 250;
/** At most this many requests at once: enough to hide a 40 ms round trip behind 2 s segments. */
export const MAX_IN_FLIGHT = 16;
/** Bytes the window may hold (estimated from the segments so far), so large segments go fewer at a time. */
export const WINDOW_BYTES = 16 * 1024 * 1024;

/** A failed segment request: the status (0 for the network), to be retried or not. */
export class SegmentError extends Error {
  readonly status: number;
  constructor(status: number, message: string, options?: ErrorOptions) {
    super(message, options);
    this.status = status;
  }
  get retryable(): boolean {
    return this.status === 0 || this.status === 429 || this.status >= 500;
  }
}

export interface FetchOptions {
  headers: Record<string, string>;
  signal: AbortSignal;
  dispatcher: Dispatcher;
}

/**
 * One request for a whole segment: its bytes, or a SegmentError (abort and timeout pass through).
 * undici's `request`, not `fetch`: 1,800 requests an hour of VOD, and fetch's WHATWG streams
 * and objects per request raised the engine's peak RSS by tens of MB (bench/vod.ts).
 */
async function getOnce(url: string, options: FetchOptions): Promise<Buffer> {
  try {
    const { statusCode, body } = await request(url, options);
    if (statusCode >= 400) {
      await body.dump().catch(() => undefined);
      throw new SegmentError(statusCode, `HTTP Error ${statusCode}: ${STATUS_CODES[statusCode] ?? ""}`);
    }
    return Buffer.from(await body.arrayBuffer());
  } catch (error) {
    if (error instanceof SegmentError || options.signal.aborted) throw error;
    throw new SegmentError(0, "segment request failed", { cause: error });
  }
}

/** A segment's bytes, or the refusal that mutes it; a retryable failure is tried again after a backoff. */
export async function getSegment(url: string, options: FetchOptions): Promise<Buffer | SegmentError> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await getOnce(url, options);
    } catch (error) {
      if (error instanceof SegmentError && MUTED_STATUSES.has(error.status)) return error;
      if (!(error instanceof SegmentError && error.retryable) || attempt >= SEGMENT_TRIES) throw error;
      await sleep(RETRY_BASE_MS * 2 ** (attempt - 1), undefined, { signal: options.signal });
    }
  }
}

/**
 * The segments in playlist order, up to MAX_IN_FLIGHT requested ahead (fewer while the segments
 * are large). `close()` cancels what is still in flight.
 */
class SegmentWindow {
  private readonly pending: Promise<Buffer | SegmentError>[] = [];
  private requested = 0;
  private received = { count: 0, bytes: 0 };
  private readonly controller = new AbortController();
  private readonly segments: readonly Segment[];
  readonly options: FetchOptions;

  constructor(segments: readonly Segment[], base: Omit<FetchOptions, "signal">, signal: AbortSignal) {
    this.segments = segments;
    this.options = { ...base, signal: AbortSignal.any([signal, this.controller.signal]) };
  }

  /** How many may be in flight: MAX_IN_FLIGHT, or fewer when the mean segment is large. */
  private limit(): number {
    const mean = this.received.count ? this.received.bytes / this.received.count : WINDOW_BYTES / 4;
    return Math.max(1, Math.min(MAX_IN_FLIGHT, Math.floor(WINDOW_BYTES / Math.max(mean, 1))));
  }

  /** The next segment in order: its bytes, or the refusal that mutes it. */
  async next(): Promise<Buffer | SegmentError> {
    while (this.pending.length < this.limit() && this.requested < this.segments.length) {
      const segment = this.segments[this.requested++] as Segment;
      const request = getSegment(segment.url, this.options);
      // Awaited in order later; until then its failure must not count as unhandled.
      request.catch(() => undefined);
      this.pending.push(request);
    }
    const result = await (this.pending.shift() as Promise<Buffer | SegmentError>);
    if (Buffer.isBuffer(result)) {
      this.received = { count: this.received.count + 1, bytes: this.received.bytes + result.length };
    }
    return result;
  }

  close(): void {
    this.controller.abort();
  }
}

export interface SegmentStream {
  /** The init segment (fMP4) and the segments that were served, in order. */
  body: Readable;
  /** Muted seconds before the first segment that was served: the decoder starts with them. */
  leadingSeconds: number;
  /** Muted ranges on the playlist's timeline, merged; complete once `body` has ended. */
  muted: MutedRange[];
  /** The playlist's length (sum of EXTINF). */
  totalSeconds: number;
}

function addMuted(muted: MutedRange[], segment: Segment): void {
  const last = muted.at(-1);
  const end = segment.startSeconds + segment.seconds;
  if (last && Math.abs(last.end_s - segment.startSeconds) < 1e-6) last.end_s = end;
  else muted.push({ start_s: segment.startSeconds, end_s: end });
}

/**
 * Starts the window and waits for the first segment that is served, so the muted ones before it
 * are known before the decoder starts. Throws when the init segment or every segment is refused
 * (then the first refusal is the answer: `HTTP Error 404` is not_found, as yt-dlp would say).
 */
export async function openSegments(
  playlist: MediaPlaylist,
  base: Omit<FetchOptions, "signal">,
  signal: AbortSignal,
): Promise<SegmentStream> {
  const { segments } = playlist;
  const window = new SegmentWindow(segments, base, signal);
  const muted: MutedRange[] = [];
  try {
    const init = playlist.initUrl ? await getOnce(playlist.initUrl, window.options) : null;
    let refusal: SegmentError | null = null;
    let index = 0;
    for (; index < segments.length; index++) {
      const result = await window.next();
      if (Buffer.isBuffer(result)) {
        const head = init ? [init, result] : [result];
        return {
          // Bytes, not objects: the stream buffers 16 KiB beyond the window, not 16 segments.
          body: Readable.from(rest(window, segments, index + 1, head, muted), { objectMode: false }),
          leadingSeconds: muted.at(0)?.end_s ?? 0,
          muted,
          totalSeconds: segments.reduce((sum, s) => sum + s.seconds, 0),
        };
      }
      refusal ??= result;
      addMuted(muted, segments[index] as Segment);
    }
    throw refusal ?? new SegmentError(0, "the HLS playlist lists no segments");
  } catch (error) {
    window.close();
    throw error;
  }
}

async function* rest(
  window: SegmentWindow,
  segments: readonly Segment[],
  from: number,
  head: Buffer[],
  muted: MutedRange[],
): AsyncGenerator<Buffer> {
  try {
    yield* head;
    for (let index = from; index < segments.length; index++) {
      const result = await window.next();
      if (Buffer.isBuffer(result)) yield result;
      else addMuted(muted, segments[index] as Segment);
    }
  } finally {
    window.close();
  }
}
