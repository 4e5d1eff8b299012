/**
 * Clip ids as callers send them: a bare id or a Twitch clip URL, reduced to the id,
 * validated, and de-duplicated, with the contract's exact 400 messages.
 */

export const CLIP_ID_PATTERN = /^[A-Za-z0-9_-]+$/;
export const MAX_CLIP_ID_LENGTH = 100;
export const MAX_CLIPS_PER_REQUEST = 10;

export type ClipIdProblem = "empty" | "invalid_characters" | "too_long";

export type ClipIdResult = { ok: true; id: string } | { ok: false; problem: ClipIdProblem };

const PROBLEM_TEXT: Record<ClipIdProblem, string> = {
  empty: "empty or whitespace only",
  invalid_characters: "contains invalid characters",
  too_long: "too long",
};

const CLIP_HOSTS = new Set(["clips.twitch.tv", "www.twitch.tv", "twitch.tv", "m.twitch.tv"]);

/** Returns the id inside a Twitch clip URL, or null when `input` is not such a URL. */
export function clipIdFromUrl(input: string): string | null {
  if (!/^https?:\/\//i.test(input)) return null;
  let url: URL;
  try {
    url = new URL(input);
  } catch {
    return null;
  }
  if (!CLIP_HOSTS.has(url.hostname.toLowerCase())) return null;
  const parts = url.pathname.split("/").filter(Boolean);
  if (url.hostname.toLowerCase() === "clips.twitch.tv") {
    return parts.length === 1 ? safeDecode(parts[0] as string) : null;
  }
  // https://www.twitch.tv/<channel>/clip/<id>
  if (parts.length === 3 && parts[1] === "clip") return safeDecode(parts[2] as string);
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
  const id = clipIdFromUrl(trimmed) ?? trimmed;
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
      problems.push(`${input} (${PROBLEM_TEXT[result.problem]})`);
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
  return result.ok ? null : invalidClipIdsMessage([`${input} (${PROBLEM_TEXT[result.problem]})`]);
}
