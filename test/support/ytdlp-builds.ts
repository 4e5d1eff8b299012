/**
 * yt-dlp "builds" made at test time, as the release assets a channel serves (a zipapp run with
 * `python3`), never committed:
 *  - `realZipapp`: a real yt-dlp, Debian's package (/usr/lib/python3/dist-packages/yt_dlp)
 *    packed with Python's `zipapp`, like the release's `yt-dlp` asset. It reads the fixture
 *    server's clip pages with its generic extractor.
 *  - `twitchBrokenZipapp`: a stand-in for a yt-dlp whose Twitch support Twitch broke: it fails
 *    every extraction the way yt-dlp 2026.08.19 fails on clips (#17553, `KeyError('data')`).
 *    A stand-in because no real yt-dlp here can be made to fail that way without Twitch.
 */
import { execFileSync } from "node:child_process";
import { cpSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

const DEBIAN_PACKAGE = "/usr/lib/python3/dist-packages/yt_dlp";

function pack(source: string, out: string): Uint8Array {
  execFileSync("python3", ["-m", "zipapp", source, "-p", "/usr/bin/env python3", "-o", out]);
  return readFileSync(out);
}

/** Debian's yt-dlp as a zipapp: bytes, and the path of an executable copy. */
export function realZipapp(): { bytes: Uint8Array; path: string } {
  const dir = mkdtempSync(join(tmpdir(), "ytdlp-real-"));
  const source = join(dir, "src");
  mkdirSync(source);
  cpSync(DEBIAN_PACKAGE, join(source, "yt_dlp"), { recursive: true });
  writeFileSync(join(source, "__main__.py"), "import yt_dlp\n\nyt_dlp.main()\n");
  const path = join(dir, "yt-dlp");
  return { bytes: pack(source, path), path };
}

const BROKEN_PACKAGE = (version: string) => `"""Stand-in: a yt-dlp whose Twitch GraphQL query Twitch retired."""
import types

version = types.SimpleNamespace(__version__=${JSON.stringify(version)})


def parse_options(args):
    return types.SimpleNamespace(ydl_opts={})


class _Jar:
    def clear(self):
        pass


class YoutubeDL:
    def __init__(self, params):
        self.params = dict(params)
        self.cookiejar = _Jar()

    def extract_info(self, url, download=False):
        clip = url.rstrip("/").rsplit("/", 1)[-1]
        raise Exception(
            "[twitch:clips] " + clip + ": An extractor error has occurred. (caused by KeyError('data')); "
            "please report this issue on  https://github.com/yt-dlp/yt-dlp/issues"
        )

    def sanitize_info(self, info):
        return info
`;

const BROKEN_MAIN = `import sys
import yt_dlp

if "--version" in sys.argv:
    print(yt_dlp.version.__version__)
    sys.exit(0)
sys.stderr.write("ERROR: [twitch:clips] clip: An extractor error has occurred. (caused by KeyError('data'))\\n")
sys.exit(1)
`;

/** The stand-in Twitch-broken yt-dlp `version`, as a zipapp: bytes, and an executable copy. */
export function twitchBrokenZipapp(version: string): { bytes: Uint8Array; path: string } {
  const dir = mkdtempSync(join(tmpdir(), "ytdlp-broken-"));
  const source = join(dir, "src");
  mkdirSync(join(source, "yt_dlp"), { recursive: true });
  writeFileSync(join(source, "yt_dlp", "__init__.py"), BROKEN_PACKAGE(version));
  writeFileSync(join(source, "__main__.py"), BROKEN_MAIN);
  const path = join(dir, "yt-dlp");
  return { bytes: pack(source, path), path };
}

/** A directory holding only `yt-dlp` (the build at `path`): put first on PATH, it is the engine's pin. */
export function pinDirectory(path: string): string {
  const dir = mkdtempSync(join(tmpdir(), "ytdlp-pin-"));
  cpSync(path, join(dir, "yt-dlp"));
  execFileSync("chmod", ["0755", join(dir, "yt-dlp")]);
  return dir;
}
