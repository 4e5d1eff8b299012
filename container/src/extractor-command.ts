/**
 * How a resident extractor (extractor.py) is started: with the Python that runs the installed
 * yt-dlp, so the worker imports the very yt-dlp a `yt-dlp` command would run.
 */
import { closeSync, openSync, readSync } from "node:fs";
import { delimiter, join } from "node:path";
import { fileURLToPath } from "node:url";
import { toolEnv } from "./subprocess.ts";

const SCRIPT = fileURLToPath(new URL("./extractor.py", import.meta.url));

/** The first directory on PATH holding `name`, or null. */
function onPath(name: string, path: string | undefined): string | null {
  for (const dir of (path ?? "").split(delimiter)) {
    if (!dir) continue;
    const candidate = join(dir, name);
    try {
      closeSync(openSync(candidate, "r"));
      return candidate;
    } catch {}
  }
  return null;
}

/**
 * The Python that runs the installed yt-dlp: its launcher's shebang (`#!/usr/bin/python3` for
 * Debian's, `#!/usr/bin/env python3` for the release zipapp), else python3. The worker imports
 * the yt-dlp the command would run: the zipapp itself, or the package the launcher imports.
 */
export function extractorCommand(
  env: Record<string, string> = toolEnv(),
  build?: string,
): { file: string; args: string[] } {
  // A channel build (ytdlp-channel/builds.ts) is a zipapp named by path; else the pinned one on PATH.
  const launcher = build ?? onPath("yt-dlp", env.PATH);
  let python = "python3";
  if (launcher) {
    const head = Buffer.alloc(256);
    const fd = openSync(launcher, "r");
    const length = readSync(fd, head, 0, head.length, 0);
    closeSync(fd);
    const shebang = /^#!\s*(\S+)(?:\s+(\S+))?/.exec(head.subarray(0, length).toString("latin1").split("\n")[0] ?? "");
    const [interpreter, argument] = [shebang?.[1], shebang?.[2]];
    if (interpreter?.endsWith("/env") && argument?.startsWith("python")) python = argument;
    else if (interpreter && /python[\d.]*$/.test(interpreter)) python = interpreter;
  }
  return { file: python, args: ["-u", SCRIPT, launcher ?? ""] };
}
