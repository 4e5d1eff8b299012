"""A resident yt-dlp extractor: yt_dlp is imported once, then every request is one extraction.

    python3 extractor.py <path of the yt-dlp launcher>

Speaks JSON lines: the first line on stdout is {"ready": true, "version": ...}; then each line
read on stdin, {"url": ..., "args": [...]}, gets one line back:
    {"ok": true, "info": <the info JSON --dump-single-json would print>, "rss": <bytes>}
    {"ok": false, "stderr": <what the yt-dlp command would have printed on stderr>, "rss": ...}
`args` are yt-dlp's own command-line options (format selection, --use-extractors...), parsed by
yt-dlp itself (yt_dlp.parse_options), so the selection is the one the command would make. The
chosen format's url and http_headers are in the info, as --dump-single-json prints them.
Exits at the end of stdin. Stray prints go to stderr: stdout carries only the protocol.
"""

import json
import os
import sys
import zipfile


def load_yt_dlp(launcher):
    # The release is a zipapp: importable as is, so the worker runs exactly the pinned release.
    # Debian's launcher is a script importing the system package, found on the normal path.
    if launcher and os.path.isfile(launcher) and zipfile.is_zipfile(launcher):
        sys.path.insert(0, launcher)
    import yt_dlp

    return yt_dlp


class Log:
    """Collects what the yt-dlp command would print on stderr (warnings, errors)."""

    def __init__(self):
        self.lines = []

    def debug(self, message):
        pass

    def info(self, message):
        pass

    def warning(self, message):
        self.lines.append(message)

    def error(self, message):
        self.lines.append(message)


def rss_bytes():
    try:
        with open("/proc/self/statm") as statm:
            return int(statm.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")
    except OSError:
        return 0


# One YoutubeDL per distinct option list (the engine sends two: audio only, video kept): making
# one costs 45-70 ms (extractor classes, format parser), more than the extraction itself.
instances = {}


def downloader(yt_dlp, args):
    key = json.dumps(args)
    if key not in instances:
        options = yt_dlp.parse_options(args).ydl_opts
        # The command ignores "only_download" errors and reports them at exit; here they raise.
        instances[key] = yt_dlp.YoutubeDL({**options, "ignoreerrors": False})
    return instances[key]


def extract(yt_dlp, request):
    log = Log()
    try:
        ydl = downloader(yt_dlp, request["args"])
        # Per request: what it prints goes to this request's log; no cookie outlives its job.
        ydl.params["logger"] = log
        ydl.cookiejar.clear()
        info = ydl.extract_info(request["url"], download=False)
        return {"ok": True, "info": ydl.sanitize_info(info)}
    except SystemExit as error:  # yt-dlp's option parser exits on bad options
        return {"ok": False, "stderr": "\n".join(log.lines) or f"ERROR: bad yt-dlp options (exit {error.code})"}
    except Exception as error:  # noqa: BLE001 - every failure is reported, the worker lives on
        # A DownloadError's text is the ERROR line yt-dlp printed (and the log holds it);
        # anything else reaches the command's user as "ERROR: <text>" too.
        return {"ok": False, "stderr": "\n".join(log.lines) or f"ERROR: {error}"}


def main():
    protocol = os.fdopen(os.dup(1), "w", encoding="utf-8")
    os.dup2(2, 1)
    yt_dlp = load_yt_dlp(sys.argv[1] if len(sys.argv) > 1 else None)
    protocol.write(json.dumps({"ready": True, "version": yt_dlp.version.__version__}) + "\n")
    protocol.flush()
    for line in sys.stdin:
        if not line.strip():
            continue
        reply = extract(yt_dlp, json.loads(line))
        reply["rss"] = rss_bytes()
        protocol.write(json.dumps(reply) + "\n")
        protocol.flush()


if __name__ == "__main__":
    main()
