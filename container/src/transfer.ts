/**
 * The media transfer when Node can do it itself: one progressive HTTP(S) file that yt-dlp
 * selected, fetched with the headers yt-dlp chose for it. No second yt-dlp process (its start
 * cost ~0.4-0.7 s before the first byte), and ffmpeg's input ends with the last byte instead of
 * when yt-dlp exits. Failures are described in yt-dlp's words (`HTTP Error 404`, `Connection
 * refused`...) and classified by the same table, so they keep the codes the command gave them.
 */
import { Readable } from "node:stream";
import { ClipAudioError } from "../../shared/errors.ts";
import type { Source } from "./source.ts";
import type { RunLimits } from "./subprocess.ts";
import { type ChosenFormat, classifyYtDlp, type SourceInfo } from "./ytdlp.ts";

/** The single progressive format Node can fetch itself, or null (HLS, DASH, a time range, two formats). */
export function directFormat(info: SourceInfo, source: Source): ChosenFormat | null {
  if (source.range || info.formats.length !== 1) return null;
  const [format] = info.formats as [ChosenFormat];
  return format.protocol === "http" || format.protocol === "https" ? format : null;
}

/** What yt-dlp would print for a network failure Node reports by its code. */
const CAUSES: readonly [RegExp, string][] = [
  [/ECONNREFUSED/, "Connection refused"],
  [/ECONNRESET|UND_ERR_SOCKET|EPIPE|terminated|other side closed/i, "Connection reset by peer"],
  [/ENOTFOUND|EAI_AGAIN/, "Failed to resolve the host (getaddrinfo failed)"],
  [/ENETUNREACH|EHOSTUNREACH/, "Network is unreachable"],
  [/ETIMEDOUT|UND_ERR_CONNECT_TIMEOUT|UND_ERR_HEADERS_TIMEOUT|UND_ERR_BODY_TIMEOUT/, "The read operation timed out"],
  [/CERT|SELF_SIGNED|UNABLE_TO_VERIFY/, "CERTIFICATE_VERIFY_FAILED"],
];

function causeText(error: unknown): string {
  const parts: string[] = [];
  for (let e: unknown = error, depth = 0; e && depth < 4; depth++) {
    const { code, message, cause } = e as { code?: unknown; message?: unknown; cause?: unknown };
    parts.push(`${String(code ?? "")} ${String(message ?? "")}`);
    e = cause;
  }
  return parts.join(" ");
}

/** Maps a failed transfer to the engine's error: ours (cancel, timeout) first, then yt-dlp's table. */
export function transferError(error: unknown, limits: RunLimits): ClipAudioError {
  if (error instanceof ClipAudioError) return error;
  if (limits.signal?.aborted) return new ClipAudioError("cancelled", "Downloading the media was cancelled");
  const text = causeText(error);
  if (/TimeoutError|The operation was aborted due to timeout/.test(text)) {
    return new ClipAudioError(
      "timeout",
      `Downloading the media timed out after ${Math.round(limits.timeoutMs / 1000)} s`,
    );
  }
  const said = CAUSES.find(([pattern]) => pattern.test(text))?.[1] ?? text.trim().slice(0, 300);
  const known = classifyYtDlp(said);
  if (known) return new ClipAudioError(known.code, known.message, { cause: error });
  return new ClipAudioError("download_failed", `Downloading the media failed: ${said}`, { cause: error });
}

/** Opens the format's bytes; the stream errors on timeout or cancel (whole transfer, not per read). */
export async function fetchMedia(format: ChosenFormat, limits: RunLimits): Promise<Readable> {
  const timeout = AbortSignal.timeout(limits.timeoutMs);
  const signal = limits.signal ? AbortSignal.any([limits.signal, timeout]) : timeout;
  let response: Response;
  try {
    response = await fetch(format.url, { headers: format.headers, signal, redirect: "follow" });
  } catch (error) {
    throw transferError(error, limits);
  }
  if (!response.ok || !response.body) {
    await response.body?.cancel().catch(() => undefined);
    throw transferError(new Error(`HTTP Error ${response.status}: ${response.statusText}`), limits);
  }
  return Readable.fromWeb(response.body as import("node:stream/web").ReadableStream<Uint8Array>);
}
