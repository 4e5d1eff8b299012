/**
 * The CLI's `--yt-dlp-channel stable|nightly`: run the clips with that channel's newest build,
 * downloaded from yt-dlp's releases and verified exactly as the service does (builds.ts), instead
 * of the yt-dlp on PATH. No canary gates it: the person running the CLI sees the result at once.
 */
import { ExtractorChannel } from "../../../shared/job.ts";
import { ytDlpAgeDays } from "../../../shared/ytdlp-age.ts";
import { buildStore, type LocalBuild } from "./builds.ts";

export class ChannelChoiceError extends Error {}

/** The chosen channel's newest verified build; undefined when no channel was chosen. */
export async function cliBuild(channel: string | undefined, workDir: string): Promise<LocalBuild | undefined> {
  if (channel === undefined) return undefined;
  const parsed = ExtractorChannel.safeParse(channel);
  if (!parsed.success) throw new ChannelChoiceError(`--yt-dlp-channel must be stable or nightly, not "${channel}"`);
  try {
    return await buildStore(workDir).newest(parsed.data);
  } catch (error) {
    throw new ChannelChoiceError(`yt-dlp's ${parsed.data} build could not be used: ${(error as Error).message}`);
  }
}

/** `yt-dlp 2026.12.05.232911 (1 days old), nightly channel, signature verified`. */
export function describeBuild(local: LocalBuild, now: Date): string {
  const age = ytDlpAgeDays(local.build.tag, now);
  const days = age === null ? "" : ` (${age} days old)`;
  return `yt-dlp ${local.build.tag}${days}, ${local.build.channel} channel, signature verified (sha256 ${local.build.sha256})`;
}
