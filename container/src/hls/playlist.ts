/**
 * An HLS media playlist (RFC 8216), as far as Node fetches it itself (segments.ts): a VOD's list
 * of segments with their lengths, and an fMP4 stream's init segment (EXT-X-MAP). Whatever else
 * changes how the bytes must be read is left to ffmpeg's HLS demuxer (transfer.ts `startHls`):
 * encryption (EXT-X-KEY other than NONE), byte ranges (EXT-X-BYTERANGE, or a BYTERANGE on the
 * map), a master playlist (yt-dlp gives the chosen variant's media playlist, so one here is not
 * what we expect) and a live playlist without EXT-X-ENDLIST (still growing).
 */

export interface Segment {
  url: string;
  /** EXTINF: the segment's length in seconds, as the playlist states it. */
  seconds: number;
  /** Where the segment starts on the playlist's timeline (the EXTINFs before it). */
  startSeconds: number;
}

export interface MediaPlaylist {
  segments: Segment[];
  /** EXT-X-MAP: the init segment every fMP4 segment needs before it, or null for MPEG-TS. */
  initUrl: string | null;
}

/** Why ffmpeg reads this playlist instead of Node, or the playlist Node reads. */
export type ParsedPlaylist = { playlist: MediaPlaylist } | { unsupported: string };

const UNSUPPORTED: readonly [RegExp, string][] = [
  [/^#EXT-X-STREAM-INF:/, "a master playlist"],
  [/^#EXT-X-KEY:(?!.*METHOD=NONE)/, "encrypted segments"],
  [/^#EXT-X-BYTERANGE:/, "byte-range segments"],
  [/^#EXT-X-MAP:.*BYTERANGE=/, "a byte-range init segment"],
  [/^#EXT-X-DISCONTINUITY\b/, "a discontinuity"],
];

/** The quoted URI attribute of a tag (`URI="init.mp4"`). */
function uriAttribute(line: string): string | null {
  return /URI="([^"]*)"/.exec(line)?.[1] ?? null;
}

/** Parses `text`, fetched from `baseUrl` (after redirects), resolving segment URLs against it. */
export function parsePlaylist(text: string, baseUrl: string): ParsedPlaylist {
  const lines = text.split(/\r?\n/).map((line) => line.trim());
  if (lines[0] !== "#EXTM3U") return { unsupported: "not an M3U8 playlist" };
  if (!lines.includes("#EXT-X-ENDLIST")) return { unsupported: "a live playlist (no EXT-X-ENDLIST)" };
  const segments: Segment[] = [];
  let initUrl: string | null = null;
  let pending: number | null = null;
  let position = 0;
  for (const line of lines) {
    const reason = UNSUPPORTED.find(([pattern]) => pattern.test(line))?.[1];
    if (reason) return { unsupported: reason };
    if (line.startsWith("#EXT-X-MAP:")) {
      if (initUrl !== null) return { unsupported: "more than one init segment" };
      const uri = uriAttribute(line);
      if (uri === null) return { unsupported: "an init segment without a URI" };
      initUrl = new URL(uri, baseUrl).href;
    } else if (line.startsWith("#EXTINF:")) {
      pending = Number.parseFloat(line.slice("#EXTINF:".length));
      if (!(pending >= 0)) return { unsupported: `an unreadable segment length (${line})` };
    } else if (line !== "" && !line.startsWith("#")) {
      if (pending === null) return { unsupported: "a segment without EXTINF" };
      segments.push({ url: new URL(line, baseUrl).href, seconds: pending, startSeconds: position });
      position += pending;
      pending = null;
    }
  }
  if (segments.length === 0) return { unsupported: "no segments" };
  return { playlist: { segments, initUrl } };
}
