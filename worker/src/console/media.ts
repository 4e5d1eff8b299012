/**
 * Audio from the bucket to the console's player through the Worker, with HTTP Range: the
 * browser seeks by asking for the bytes it needs, so a long WAV is never downloaded whole.
 */
import type { BucketStorage, ByteRange } from "../storage.ts";

export type RangeRequest = { kind: "whole" } | { kind: "part"; range: ByteRange } | { kind: "unsatisfiable" };

/**
 * One `bytes=` range of an object of `size` bytes (RFC 9110 §14.1.2). Several ranges, other
 * units or a malformed header: the whole object, as a server may answer; a range that starts
 * beyond the end: unsatisfiable (416).
 */
export function parseRange(header: string | undefined, size: number): RangeRequest {
  const match = /^bytes=(\d*)-(\d*)$/.exec(header?.trim() ?? "");
  if (!match || (!match[1] && !match[2])) return { kind: "whole" };
  if (!match[1]) {
    const suffix = Math.min(Number(match[2]), size);
    if (suffix === 0) return { kind: "unsatisfiable" };
    return { kind: "part", range: { offset: size - suffix, length: suffix } };
  }
  const first = Number(match[1]);
  const last = match[2] ? Math.min(Number(match[2]), size - 1) : size - 1;
  if (first >= size) return { kind: "unsatisfiable" };
  if (last < first) return { kind: "whole" };
  return { kind: "part", range: { offset: first, length: last - first + 1 } };
}

/** The object as a 200 or a 206, 416 for a range beyond it, null when there is no such object. */
export async function serveObject(
  storage: BucketStorage,
  key: string,
  rangeHeader: string | undefined,
): Promise<Response | null> {
  const head = await storage.head(key);
  if (!head) return null;
  const common = {
    "Accept-Ranges": "bytes",
    "Content-Type": head.contentType ?? "application/octet-stream",
    // The player may cache what it fetched for this page; artifacts change only on a forced re-run.
    "Cache-Control": "private, max-age=60",
  };
  const wanted = parseRange(rangeHeader, head.size);
  if (wanted.kind === "unsatisfiable") {
    return new Response(null, { status: 416, headers: { ...common, "Content-Range": `bytes */${head.size}` } });
  }
  const range = wanted.kind === "part" ? wanted.range : { offset: 0, length: head.size };
  const body = head.size === 0 ? null : await storage.getRange(key, range);
  if (head.size > 0 && !body) return null;
  const headers: Record<string, string> = { ...common, "Content-Length": String(range.length) };
  if (wanted.kind === "part") {
    headers["Content-Range"] = `bytes ${range.offset}-${range.offset + range.length - 1}/${head.size}`;
  }
  return new Response(body, { status: wanted.kind === "part" ? 206 : 200, headers });
}
