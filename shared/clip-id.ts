/**
 * Clip ids as callers send them: a bare id or a Twitch clip URL, reduced to the id,
 * validated, and de-duplicated, with the contract's exact 400 messages. A bare id is always a
 * clip id (`v1234567` included); a URL that is no Twitch clip URL is refused, never guessed at.
 */

export const CLIP_ID_PATTERN = /^[A-Za-z0-9_-]+$/;
export const MAX_CLIP_ID_LENGTH = 100;
export const MAX_CLIPS_PER_REQUEST = 10;

export type ClipIdProblem = "empty" | "invalid_characters" | "too_long" | "not_a_clip_url";

export type ClipIdResult = { ok: true; id: string } | { ok: false; problem: ClipIdProblem };

const PROBLEM_TEXT: Record<ClipIdProblem, string> = {
  empty: "empty or whitespace only",
  invalid_characters: "contains invalid characters",
  too_long: "too long",
  not_a_clip_url: "not a Twitch clip URL",
};

/** A bad id is echoed at most this long (a body may hold kilobytes of one). */
export const MAX_ECHOED_ID_LENGTH = MAX_CLIP_ID_LENGTH;

/** `input` as an error message shows it: cut after MAX_ECHOED_ID_LENGTH characters. */
export function echoedId(input: string): string {
  const chars = Array.from(input);
  return chars.length > MAX_ECHOED_ID_LENGTH ? `${chars.slice(0, MAX_ECHOED_ID_LENGTH).join("")}…` : input;
}

const CLIPS_HOST = "clips.twitch.tv";
const TWITCH_HOSTS = new Set(["twitch.tv", "www.twitch.tv", "m.twitch.tv", "go.twitch.tv"]);
/** Looks like an absolute URL (any scheme): it is read as a URL, never as an id. */
const URL_LIKE = /^[a-z][a-z0-9+.-]*:\/\//i;

/**
 * The id in a Twitch clip URL, in every form Twitch uses (a query string and a trailing slash
 * are fine anywhere):
 *   https://clips.twitch.tv/<id>
 *   https://clips.twitch.tv/embed?clip=<id>&parent=…
 *   https://(www.|m.|go.)twitch.tv/<channel>/clip/<id>
 *   https://(www.|m.|go.)twitch.tv/clip/<id>
 * Null for anything else, including other Twitch pages: never a guess.
 */
export function clipIdFromUrl(input: string): string | null {
  if (!/^https?:\/\//i.test(input)) return null;
  let url: URL;
  try {
    url = new URL(input);
  } catch {
    return null;
  }
  if (url.username || url.password || url.port) return null;
  const host = url.hostname.toLowerCase();
  const parts = url.pathname.split("/").filter(Boolean);
  if (host === CLIPS_HOST) {
    if (parts.length === 1 && parts[0] === "embed") return url.searchParams.get("clip") || null;
    return parts.length === 1 ? safeDecode(parts[0] as string) : null;
  }
  if (!TWITCH_HOSTS.has(host)) return null;
  if (parts.length === 3 && parts[1] === "clip") return safeDecode(parts[2] as string);
  if (parts.length === 2 && parts[0] === "clip") return safeDecode(parts[1] as string);
  return null;
}

/** A malformed escape stays as it is, so validation names it instead of throwing. */
function safeDecode(part: string): string {
  try {
    return decodeURIComponent(part);
  } catch {
    return part;
  }
}

/** Validates one clip reference (bare id or clip URL) and returns its id. */
export function parseClipId(input: string): ClipIdResult {
  const trimmed = input.trim();
  if (trimmed === "") return { ok: false, problem: "empty" };
  const fromUrl = clipIdFromUrl(trimmed);
  if (fromUrl === null && URL_LIKE.test(trimmed)) return { ok: false, problem: "not_a_clip_url" };
  const id = fromUrl ?? trimmed;
  if (id.length > MAX_CLIP_ID_LENGTH) return { ok: false, problem: "too_long" };
  if (!CLIP_ID_PATTERN.test(id)) return { ok: false, problem: "invalid_characters" };
  return { ok: true, id };
}

export type ClipIdListResult = { ok: true; ids: string[] } | { ok: false; message: string };

/**
 * Validates the `clip_ids` of a request: the contract's messages for an empty list, too many
 * ids, and bad ids (every offending id named, in request order). Duplicates are dropped,
 * keeping the first occurrence, after URLs are reduced to ids.
 */
export function parseClipIdList(inputs: readonly string[]): ClipIdListResult {
  if (inputs.length === 0) return { ok: false, message: "No clip IDs provided" };
  if (inputs.length > MAX_CLIPS_PER_REQUEST) {
    return { ok: false, message: `Maximum ${MAX_CLIPS_PER_REQUEST} clips per request` };
  }
  const ids: string[] = [];
  const problems: string[] = [];
  for (const input of inputs) {
    const result = parseClipId(input);
    if (result.ok) {
      if (!ids.includes(result.id)) ids.push(result.id);
    } else {
      problems.push(`${echoedId(input)} (${PROBLEM_TEXT[result.problem]})`);
    }
  }
  if (problems.length > 0) return { ok: false, message: invalidClipIdsMessage(problems) };
  return { ok: true, ids };
}

function invalidClipIdsMessage(problems: string[]): string {
  return `Invalid clip ID(s): ${problems.join(", ")}. Clip IDs must contain only alphanumeric characters, hyphens, and underscores.`;
}

/** The 400 message for a single bad id in a path (status, cleanup). */
export function invalidClipIdMessage(input: string): string | null {
  const result = parseClipId(input);
  return result.ok ? null : invalidClipIdsMessage([`${echoedId(input)} (${PROBLEM_TEXT[result.problem]})`]);
}
