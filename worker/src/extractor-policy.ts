/** EXTRACTOR_CHANNEL's values (worker/src/config.ts; README, "yt-dlp channels"). */
export const CHANNEL_POLICIES = ["pinned", "auto", "stable", "nightly"] as const;
export type ChannelPolicy = (typeof CHANNEL_POLICIES)[number];

export function isChannelPolicy(word: string): word is ChannelPolicy {
  return (CHANNEL_POLICIES as readonly string[]).includes(word);
}
