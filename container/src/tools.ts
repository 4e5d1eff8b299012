/**
 * The external programs the engine runs: whether they are there at all (checked when the CLI or
 * the service starts, and before each job), and their versions, read once per process (for
 * /health and manifests).
 */
import { accessSync, constants, statSync } from "node:fs";
import { delimiter, join } from "node:path";
import { ClipAudioError } from "../../shared/errors.ts";
import type { MissingTool } from "../../shared/schemas.ts";
import { extractorCommand } from "./extractor-command.ts";
import { FFMPEG } from "./ffmpeg.ts";
import { toolEnv, toolVersion } from "./subprocess.ts";
import { YT_DLP, ytDlpVersion } from "./ytdlp.ts";

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

/** What the project recommends for each program (README, scripts/bootstrap.mjs). */
const INSTALL_HINTS: Record<MissingTool["tool"], string> = {
  ffmpeg: "install it with `apt-get install ffmpeg` (`npm start` does it when run as root)",
  "yt-dlp":
    "`npm start` installs the pinned release into .tools/bin, which `npm run cli` puts first on PATH " +
    "(README, 'Updating yt-dlp'); `apt-get install yt-dlp` works for local files but is too old for Twitch",
  python3: "yt-dlp runs under it; install it with `apt-get install python3`",
};

/** `name` itself when it is a path, else the first directory on PATH holding it; null when not executable. */
export function findExecutable(name: string, path: string | undefined): string | null {
  const candidates = name.includes("/")
    ? [name]
    : (path ?? "")
        .split(delimiter)
        .filter(Boolean)
        .map((dir) => join(dir, name));
  for (const candidate of candidates) {
    try {
      accessSync(candidate, constants.X_OK);
      if (statSync(candidate).isFile()) return candidate;
    } catch {}
  }
  return null;
}

/**
 * The programs a job needs that cannot be found: ffmpeg, yt-dlp, and the Python its launcher
 * names (the resident extractor runs under it). Only file lookups, no process is started, so
 * this runs before every job. Looks where the tools' own PATH (toolEnv) points.
 */
export function missingTools(env: Record<string, string> = toolEnv()): MissingTool[] {
  const missing: MissingTool[] = [];
  const lookFor = (tool: MissingTool["tool"], name: string) => {
    if (findExecutable(name, env.PATH)) return;
    const where = name.includes("/") ? `${name} not found` : `${name} not found on PATH`;
    missing.push({ tool, message: `${where}: ${INSTALL_HINTS[tool]}` });
  };
  lookFor("ffmpeg", FFMPEG);
  lookFor("yt-dlp", YT_DLP);
  lookFor("python3", extractorCommand(env).file);
  return missing;
}

/** The error a job fails with while tools are missing: retrying cannot help until they are installed. */
export function missingToolsError(missing: MissingTool[]): ClipAudioError {
  return new ClipAudioError("tool_missing", missing.map((m) => m.message).join("; "));
}
