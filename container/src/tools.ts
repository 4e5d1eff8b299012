/** Versions of the external tools, read once per process (for /health and manifests). */
import { FFMPEG } from "./ffmpeg.ts";
import { toolVersion } from "./subprocess.ts";
import { ytDlpVersion } from "./ytdlp.ts";

export interface ToolVersions {
  ffmpeg: string | null;
  ytDlp: string | null;
}

let cached: Promise<ToolVersions> | null = null;

export function toolVersions(): Promise<ToolVersions> {
  cached ??= Promise.all([toolVersion(FFMPEG, "-version"), ytDlpVersion()]).then(([ffmpeg, ytDlp]) => ({
    ffmpeg: ffmpeg?.replace(/^ffmpeg version (\S+).*$/, "$1") ?? null,
    ytDlp,
  }));
  return cached;
}
