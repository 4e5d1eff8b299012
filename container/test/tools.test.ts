import { chmod, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { delimiter, join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { MissingTool } from "../../shared/schemas.ts";
import { type PathWithout, pathWithout } from "../../test/support/path-without.ts";
import { findExecutable, missingTools } from "../src/tools.ts";

let scratch: string;
const paths: PathWithout[] = [];

beforeAll(async () => {
  scratch = await mkdtemp(join(tmpdir(), "tools-"));
});
afterAll(async () => {
  await Promise.all([rm(scratch, { recursive: true, force: true }), ...paths.map((p) => p.remove())]);
});

async function without(names: string[]): Promise<string> {
  const made = await pathWithout(names);
  paths.push(made);
  return made.path;
}

describe("missingTools", () => {
  it("finds nothing missing on this machine's PATH", () => {
    expect(missingTools({ PATH: process.env.PATH ?? "" })).toEqual([]);
  });

  it("names a missing ffmpeg with its install command", async () => {
    const missing = missingTools({ PATH: await without(["ffmpeg"]) });
    expect(missing.map((m) => MissingTool.parse(m))).toEqual([
      {
        tool: "ffmpeg",
        message: expect.stringMatching(/^ffmpeg not found on PATH: install it with `apt-get install ffmpeg`/),
      },
    ]);
  });

  it("names a missing yt-dlp with where the project gets it", async () => {
    const missing = missingTools({ PATH: await without(["yt-dlp"]) });
    expect(missing).toHaveLength(1);
    expect(missing[0]?.tool).toBe("yt-dlp");
    expect(missing[0]?.message).toMatch(
      /^yt-dlp not found on PATH: `npm start` installs the pinned release into \.tools\/bin/,
    );
  });

  it("names the Python a yt-dlp launcher asks for (`#!/usr/bin/env python3`) when it is not there", async () => {
    await writeFile(join(scratch, "yt-dlp"), "#!/usr/bin/env python3\nprint('stand-in launcher')\n");
    await chmod(join(scratch, "yt-dlp"), 0o755);
    const missing = missingTools({ PATH: `${scratch}${delimiter}${await without(["python3", "yt-dlp"])}` });
    expect(missing.map((m) => m.tool)).toEqual(["python3"]);
    expect(missing[0]?.message).toMatch(
      /^python3 not found on PATH: yt-dlp runs under it; install it with `apt-get install python3`/,
    );
  });
});

describe("findExecutable", () => {
  it("skips a file of that name that is not executable, and directories", async () => {
    const dir = await mkdtemp(join(scratch, "bin-"));
    await writeFile(join(dir, "ffmpeg"), "not a program");
    await chmod(join(dir, "ffmpeg"), 0o644);
    expect(findExecutable("ffmpeg", dir)).toBeNull();
    expect(findExecutable("ffmpeg", `${dir}${delimiter}${process.env.PATH}`)).toMatch(/\/ffmpeg$/);
    expect(findExecutable("ffmpeg", `${dir}${delimiter}${process.env.PATH}`)).not.toBe(join(dir, "ffmpeg"));
    expect(findExecutable(dir.split("/").at(-1) as string, scratch)).toBeNull();
  });
});
