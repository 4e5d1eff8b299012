/**
 * How old the installed yt-dlp is, and what a failing clip says about it. Twitch's changed API
 * cannot be reached here, so a stand-in `yt-dlp` first on PATH (a zipapp, like the release:
 * the resident extractor imports its `yt_dlp` module) fails every extraction with what yt-dlp
 * 2026.08.19 prints for a retired persisted query (see ytdlp-classify.test.ts) and reports an
 * old version.
 */
import { execFileSync } from "node:child_process";
import { chmod, mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { delimiter, join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { describeYtDlp, STALE_AFTER_DAYS, staleYtDlpWarning, ytDlpAgeDays } from "../../shared/ytdlp-age.ts";

const NOW = new Date("2026-11-26T12:00:00Z");

describe("age from the version", () => {
  it("counts whole days since the release date", () => {
    expect(ytDlpAgeDays("2026.08.19", NOW)).toBe(99);
    expect(ytDlpAgeDays("2026.11.26", NOW)).toBe(0);
    expect(ytDlpAgeDays("2023.03.04", NOW)).toBe(1363);
  });

  it("reads nightly versions by their date", () => {
    expect(ytDlpAgeDays("2026.08.30.123456", NOW)).toBe(88);
  });

  it("has no age for a version that is not a date, or none", () => {
    expect(ytDlpAgeDays("master", NOW)).toBeNull();
    expect(ytDlpAgeDays(null, NOW)).toBeNull();
  });

  it("describes a version with its age", () => {
    expect(describeYtDlp("2026.08.19", NOW)).toBe("yt-dlp 2026.08.19 (99 days old)");
    expect(describeYtDlp(null, NOW)).toBe("yt-dlp: not found");
  });

  it(`warns past ${STALE_AFTER_DAYS} days, and names the fix`, () => {
    expect(staleYtDlpWarning("2026.09.01", NOW)).toBeNull();
    expect(staleYtDlpWarning("2026.08.19", NOW)).toMatch(/^yt-dlp 2026\.08\.19 is 99 days old: Twitch clips/);
    expect(staleYtDlpWarning("2023.03.04", NOW)).toMatch(/Updating yt-dlp/);
    expect(staleYtDlpWarning(null, NOW)).toMatch(/not found/);
  });
});

describe("an outdated extractor's error names the installed yt-dlp", () => {
  let dir: string;
  const savedPath = process.env.PATH;

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), "ytdlp-age-"));
    const app = join(dir, "app");
    await mkdir(join(app, "yt_dlp"), { recursive: true });
    await writeFile(
      join(app, "yt_dlp", "__init__.py"),
      `ERROR = "ERROR: SomeClipSlug: An extractor error has occurred. (caused by KeyError('data')); please report this issue on  https://github.com/yt-dlp/yt-dlp/issues?q= , filling out the appropriate issue template. Confirm you are on the latest version using  yt-dlp -U"

class version:
    __version__ = "2023.03.04"

class DownloadError(Exception):
    pass

class _Parsed:
    ydl_opts = {}

def parse_options(argv):
    return _Parsed()

class _Jar:
    def clear(self):
        pass

class YoutubeDL:
    def __init__(self, params):
        self.params = params
        self.cookiejar = _Jar()
    def extract_info(self, url, download=True):
        self.params["logger"].error(ERROR)
        raise DownloadError(ERROR)
`,
    );
    await writeFile(
      join(app, "__main__.py"),
      `import sys, yt_dlp
if sys.argv[1:] == ["--version"]:
    print(yt_dlp.version.__version__)
else:
    sys.exit(yt_dlp.ERROR)
`,
    );
    const stub = join(dir, "yt-dlp");
    execFileSync("python3", ["-m", "zipapp", app, "-p", "/usr/bin/env python3", "-o", stub]);
    await chmod(stub, 0o755);
    process.env.PATH = `${dir}${delimiter}${savedPath}`;
  });
  afterAll(async () => {
    process.env.PATH = savedPath;
    await rm(dir, { recursive: true, force: true });
  });

  it("with its version and age, and is not retried", async () => {
    const { fetchSourceInfo } = await import("../src/ytdlp.ts");
    const source = {
      id: "SomeClipSlug",
      kind: "clip" as const,
      url: "https://clips.twitch.tv/SomeClipSlug",
      range: null,
    };
    const failure = fetchSourceInfo(source, { timeoutMs: 10_000 });
    await expect(failure).rejects.toMatchObject({ code: "extractor_outdated", retryable: false });
    const age = ytDlpAgeDays("2023.03.04", new Date());
    await expect(failure).rejects.toThrow(`Installed: yt-dlp 2023.03.04 (${age} days old)`);
  });
});
