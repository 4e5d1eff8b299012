/**
 * The releases the channel bed (channel-bed.ts) publishes, for tests on both sides: plain
 * values, importable from workerd as well as Node.
 */
export const STABLE_REPO = "yt-dlp/yt-dlp";
export const NIGHTLY_REPO = "yt-dlp/yt-dlp-nightly-builds";
export const PINNED_VERSION = "2026.08.19";
export const FIXED_NIGHTLY = "2026.12.05.232911";
export const BROKEN_NIGHTLY = "2026.11.30.232850";
export const FORGED_NIGHTLY = "2026.12.06.232907";
/** A later nightly with the fix, for healing on a real job's clip (no canary clip configured). */
export const LATER_FIXED_NIGHTLY = "2026.12.07.232905";
