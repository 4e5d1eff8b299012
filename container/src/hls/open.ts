/**
 * An HLS format yt-dlp chose, opened by Node (playlist.ts, segments.ts) when its playlist is one
 * Node reads, else null: the caller falls back to ffmpeg's HLS demuxer (transfer.ts `startHls`).
 */
import { fetch, interceptors } from "undici";
import type { RunLimits } from "../subprocess.ts";
import { mediaAgent, transferError } from "../transfer.ts";
import type { ChosenFormat } from "../ytdlp.ts";
import { parsePlaylist } from "./playlist.ts";
import { openSegments, type SegmentStream } from "./segments.ts";

/** The whole transfer's signal: the job's cancel and DOWNLOAD_TIMEOUT_SECONDS, as fetchMedia's. */
function transferSignal(limits: RunLimits): AbortSignal {
  const timeout = AbortSignal.timeout(limits.timeoutMs);
  return limits.signal ? AbortSignal.any([limits.signal, timeout]) : timeout;
}

const followRedirects = interceptors.redirect({ maxRedirections: 5 });

export async function openHls(format: ChosenFormat, limits: RunLimits): Promise<SegmentStream | null> {
  const signal = transferSignal(limits);
  // Segments go through `request`, which follows redirects only with this interceptor.
  const base = { headers: format.headers, dispatcher: mediaAgent.compose(followRedirects) };
  try {
    const response = await fetch(format.url, { ...base, signal, redirect: "follow" });
    if (!response.ok) {
      await response.body?.cancel().catch(() => undefined);
      throw new Error(`HTTP Error ${response.status}: ${response.statusText}`);
    }
    const parsed = parsePlaylist(await response.text(), response.url || format.url);
    if ("unsupported" in parsed) return null;
    return await openSegments(parsed.playlist, base, signal);
  } catch (error) {
    throw transferError(error, limits);
  }
}
