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
/**
 * At most this many requests at once: enough to hide a 40 ms round trip behind 2 s segments. 16
 * was 4% faster on the 60-minute VOD (1.09x against 1.14x its floor, node bench/vod.ts) but took
 * the engine's peak from 141 to 153 MB: each open body holds its buffers.
 */
export const MAX_IN_FLIGHT = 8;
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
 * One request for a segment: its body as it arrives, or a SegmentError (abort and timeout pass
 * through). undici's `request`, not `fetch`: 1,800 requests an hour of VOD, and fetch's WHATWG
 * streams and objects per request raised the engine's peak RSS by tens of MB (bench/vod.ts).
 */
async function openOnce(url: string, options: FetchOptions, from = 0): Promise<Readable> {
  try {
    const headers = from > 0 ? { ...options.headers, range: `bytes=${from}-` } : options.headers;
    const { statusCode, body } = await request(url, { ...options, headers });
    if (statusCode >= 400 || (from > 0 && statusCode !== 206)) {
      await body.dump().catch(() => undefined);
      const why = from > 0 && statusCode < 400 ? "the rest of a broken segment was not served as a range" : "";
      throw new SegmentError(statusCode, why || `HTTP Error ${statusCode}: ${STATUS_CODES[statusCode] ?? ""}`);
    }
    return body;
  } catch (error) {
    throw asSegmentError(error, options);
  }
}

function asSegmentError(error: unknown, options: FetchOptions): unknown {
  if (error instanceof SegmentError || options.signal.aborted) return error;
  return new SegmentError(0, "segment request failed", { cause: error });
}

/** A whole small resource (the init segment) in one buffer. */
async function getOnce(url: string, options: FetchOptions): Promise<Buffer> {
  const body = await openOnce(url, options);
  try {
    return Buffer.concat(await body.toArray());
  } catch (error) {
    throw asSegmentError(error, options);
  }
}

/** A segment's body, or the refusal that mutes it; a retryable failure is tried again after a backoff. */
export async function openSegment(url: string, options: FetchOptions, from = 0): Promise<Readable | SegmentError> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await openOnce(url, options, from);
    } catch (error) {
      if (error instanceof SegmentError && MUTED_STATUSES.has(error.status)) return error;
      if (!(error instanceof SegmentError && error.retryable) || attempt >= SEGMENT_TRIES) throw error;
      await sleep(RETRY_BASE_MS * 2 ** (attempt - 1), undefined, { signal: options.signal });
    }
  }
}

/**
 * A served segment's bytes, passed on as they arrive, so the decoder works while a long segment
 * downloads (a clip offered as one 60 s segment was decoded only after its last byte: +0.24 s). A
 * body that breaks is taken up where it broke, with a range request (a byte stream cannot take
 * back what it passed on); a server that does not answer it with 206 fails the transfer.
 */
async function* segmentBytes(first: Readable, url: string, window: SegmentWindow): AsyncGenerator<Buffer> {
  let body = first;
  let sent = 0;
  for (let attempt = 1; ; attempt++) {
    try {
      for await (const chunk of body as AsyncIterable<Buffer>) {
        sent += chunk.length;
        yield chunk;
      }
      window.received(sent);
      return;
    } catch (error) {
      const failure = asSegmentError(error, window.options);
      if (!(failure instanceof SegmentError && failure.retryable) || attempt >= SEGMENT_TRIES) throw failure;
      await sleep(RETRY_BASE_MS * 2 ** (attempt - 1), undefined, { signal: window.options.signal });
      const rest = await openSegment(url, window.options, sent);
      if (rest instanceof SegmentError) throw rest;
      body = rest;
    }
  }
}

/**
 * The segments in playlist order, up to MAX_IN_FLIGHT requested ahead (fewer while the segments
 * are large). `close()` cancels what is still in flight.
 */
class SegmentWindow {
  private readonly pending: Promise<Readable | SegmentError>[] = [];
  private requested = 0;
  private done = { count: 0, bytes: 0 };
  private readonly controller = new AbortController();
  private readonly segments: readonly Segment[];
  readonly options: FetchOptions;

  constructor(segments: readonly Segment[], base: Omit<FetchOptions, "signal">, signal: AbortSignal) {
    this.segments = segments;
    this.options = { ...base, signal: AbortSignal.any([signal, this.controller.signal]) };
  }

  /** How many may be in flight: MAX_IN_FLIGHT, or fewer when the mean segment is large. */
  private limit(): number {
    const mean = this.done.count ? this.done.bytes / this.done.count : WINDOW_BYTES / 4;
    return Math.max(1, Math.min(MAX_IN_FLIGHT, Math.floor(WINDOW_BYTES / Math.max(mean, 1))));
  }

  /** The next segment in order: its body, or the refusal that mutes it. */
  async next(): Promise<Readable | SegmentError> {
    while (this.pending.length < this.limit() && this.requested < this.segments.length) {
      const segment = this.segments[this.requested++] as Segment;
      const request = openSegment(segment.url, this.options);
      // Awaited in order later; until then its failure must not count as unhandled.
      request.catch(() => undefined);
      this.pending.push(request);
    }
    return await (this.pending.shift() as Promise<Readable | SegmentError>);
  }

  /** A served segment's size, once read: the window's estimate of what the next ones hold. */
  received(bytes: number): void {
    this.done = { count: this.done.count + 1, bytes: this.done.bytes + bytes };
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
      if (!(result instanceof SegmentError)) {
        const first = { body: result, url: (segments[index] as Segment).url };
        return {
          // Bytes, not objects: the stream buffers 16 KiB beyond the window, not 16 segments.
          body: Readable.from(rest(window, segments, index + 1, init, first, muted), { objectMode: false }),
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
  init: Buffer | null,
  first: { body: Readable; url: string },
  muted: MutedRange[],
): AsyncGenerator<Buffer> {
  try {
    if (init) yield init;
    yield* segmentBytes(first.body, first.url, window);
    for (let index = from; index < segments.length; index++) {
      const segment = segments[index] as Segment;
      const result = await window.next();
      if (result instanceof SegmentError) addMuted(muted, segment);
      else yield* segmentBytes(result, segment.url, window);
    }
  } finally {
    window.close();
  }
}
