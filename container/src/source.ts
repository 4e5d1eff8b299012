/**
 * What the engine was asked for, resolved to an id (the bucket key stem) and the address
 * yt-dlp is given: a Twitch clip (bare id or URL), a Twitch VOD (its twitch.tv/videos URL,
 * with an optional time range, when ALLOW_VODS is on),
 * or, when its host is allowed in SOURCE_HOSTS, any other http(s) URL. In local development a
 * clip id starting with `demo-` is a demo clip served at DEMO_SOURCE_URL (scripts/demo.ts).
 */
import { createHash } from "node:crypto";
import { parseClipId } from "../../shared/clip-id.ts";
import { clipSourceUrl } from "../../shared/config.ts";
import { ClipAudioError } from "../../shared/errors.ts";
import type { SourceKind } from "../../shared/schemas.ts";

export interface TimeRange {
  startSeconds: number;
  endSeconds: number;
}

export interface Source {
  id: string;
  kind: SourceKind;
  url: string;
  range: TimeRange | null;
}

export interface SourceSettings {
  clipTemplate: string;
  allowedHosts: readonly string[];
  /** DEMO_SOURCE_URL: where `demo-` ids come from; null leaves them ordinary clip ids. */
  demoSourceUrl?: string | null;
  /** ALLOW_VODS: whether twitch.tv/videos/N URLs are processed (off unless said). */
  allowVods?: boolean;
}

export const DEMO_ID_PREFIX = "demo-";

/** `<DEMO_SOURCE_URL>/<id>`, or null when `id` is not a demo id or no demo source is set. */
export function demoClipUrl(id: string, demoSourceUrl: string | null | undefined): string | null {
  if (!demoSourceUrl || !id.startsWith(DEMO_ID_PREFIX)) return null;
  return `${demoSourceUrl.replace(/\/+$/, "")}/${encodeURIComponent(id)}`;
}

/** A VOD is asked for only by its URL: a bare `v1234567` is a clip id like any other. */
const VOD_PATTERN = /^https?:\/\/(?:www\.|m\.)?twitch\.tv\/videos\/(\d{5,15})(?:[/?][^#]*)?(?:#(.+))?$/i;
const TIME_PATTERN = /^(?:(\d+):)?(?:(\d+):)?(\d+(?:\.\d+)?)$/;

/** `90`, `1:30` or `1:01:30` → seconds. */
function parseTime(text: string): number | null {
  const match = TIME_PATTERN.exec(text.trim());
  if (!match) return null;
  const parts = [match[1], match[2], match[3]].filter((p) => p !== undefined).map(Number);
  return parts.reduce((total, part) => total * 60 + part, 0);
}

/** `#start-end` after a VOD reference: `#60-300`, `#1:00:00-1:30:00`. */
function parseRange(text: string | undefined, input: string): TimeRange | null {
  if (!text) return null;
  const [start, end] = text.split("-");
  const startSeconds = start === undefined ? null : parseTime(start);
  const endSeconds = end === undefined ? null : parseTime(end);
  if (startSeconds === null || endSeconds === null || endSeconds <= startSeconds) {
    throw new ClipAudioError("invalid_id", `Invalid time range in ${input}: expected #start-end with end after start`);
  }
  return { startSeconds, endSeconds };
}

function vodSource(number: string, rangeText: string | undefined, input: string): Source {
  const range = parseRange(rangeText, input);
  const suffix = range ? `_${Math.round(range.startSeconds)}-${Math.round(range.endSeconds)}` : "";
  return { id: `v${number}${suffix}`, kind: "vod", url: `https://www.twitch.tv/videos/${number}`, range };
}

function urlSource(input: string, allowedHosts: readonly string[]): Source {
  let url: URL;
  try {
    url = new URL(input);
  } catch {
    throw new ClipAudioError("invalid_id", `Not a clip id or URL: ${input}`);
  }
  if (!allowedHosts.includes(url.hostname.toLowerCase())) {
    throw new ClipAudioError(
      "invalid_id",
      `Host ${url.hostname} is not allowed; add it to SOURCE_HOSTS to process URLs from it`,
    );
  }
  const digest = createHash("sha256").update(url.href).digest("hex").slice(0, 16);
  return { id: `u-${digest}`, kind: "url", url: url.href, range: null };
}

export function resolveSource(input: string, settings: SourceSettings): Source {
  const trimmed = input.trim();
  const vod = VOD_PATTERN.exec(trimmed);
  if (vod && !settings.allowVods) {
    throw new ClipAudioError("invalid_id", "Twitch VODs are not enabled here (set ALLOW_VODS=true to process them)");
  }
  if (vod) return vodSource(vod[1] as string, vod[2], trimmed);
  const clip = parseClipId(trimmed);
  if (clip.ok) {
    const url = demoClipUrl(clip.id, settings.demoSourceUrl) ?? clipSourceUrl(settings.clipTemplate, clip.id);
    return { id: clip.id, kind: "clip", url, range: null };
  }
  if (/^https?:\/\//i.test(trimmed)) return urlSource(trimmed, settings.allowedHosts);
  const why =
    clip.problem === "too_long"
      ? "too long"
      : clip.problem === "empty"
        ? "empty"
        : clip.problem === "not_a_clip_url"
          ? "not a Twitch clip URL"
          : "contains invalid characters";
  throw new ClipAudioError("invalid_id", `Invalid clip ID: ${trimmed} (${why})`);
}
