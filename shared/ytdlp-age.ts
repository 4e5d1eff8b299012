/**
 * How old a yt-dlp is. Its versions are release dates (`2026.08.19`, nightlies
 * `2026.08.30.123456`), and Twitch changes the private API yt-dlp reads every few months, so
 * the age alone says whether Twitch clips are likely to work. Pure functions: the clock is a
 * parameter. Used by /health, the CLI, the `npm start` banner and extractor errors.
 */

/** Past this age a yt-dlp has usually missed at least one Twitch fix (#14396, #16464, #17553). */
export const STALE_AFTER_DAYS = 90;

const DAY_MS = 86_400_000;

/** Whole days from the release date in `version` to `now`; null when the version is not a date. */
export function ytDlpAgeDays(version: string | null, now: Date): number | null {
  const match = version?.match(/^(\d{4})\.(\d{2})\.(\d{2})/);
  if (!match) return null;
  const released = Date.UTC(Number(match[1]), Number(match[2]) - 1, Number(match[3]));
  return Math.max(0, Math.floor((now.getTime() - released) / DAY_MS));
}

/** `yt-dlp 2026.08.19 (98 days old)`, for messages and banners. */
export function describeYtDlp(version: string | null, now: Date): string {
  if (!version) return "yt-dlp: not found";
  const age = ytDlpAgeDays(version, now);
  return age === null ? `yt-dlp ${version}` : `yt-dlp ${version} (${age} days old)`;
}

/** A warning when the installed yt-dlp is likely too old for Twitch, else null. */
export function staleYtDlpWarning(version: string | null, now: Date): string | null {
  if (!version) return "yt-dlp was not found: nothing can be downloaded";
  const age = ytDlpAgeDays(version, now);
  if (age === null || age <= STALE_AFTER_DAYS) return null;
  return (
    `yt-dlp ${version} is ${age} days old: Twitch clips and VODs likely need a newer one ` +
    "(README, 'Updating yt-dlp')"
  );
}
