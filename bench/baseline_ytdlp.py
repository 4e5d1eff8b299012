"""The original service's download step, warm: `yt_dlp` imported once in a long-lived process
(the original imported it in its server), then per clip `YoutubeDL({"format": "mp4/best", ...})
.download([url])` to a file, as `download_extract.py` did.

    python3 baseline_ytdlp.py <path of the yt-dlp launcher>

JSON lines: {"ready": true} first; then per line read {"url", "outtmpl"} → {"ok": true} or
{"ok": false, "error": "..."}. stdout carries only the protocol.
"""

import json
import os
import sys
import zipfile

protocol = os.fdopen(os.dup(1), "w", encoding="utf-8")
os.dup2(2, 1)
launcher = sys.argv[1] if len(sys.argv) > 1 else ""
if launcher and os.path.isfile(launcher) and zipfile.is_zipfile(launcher):
    sys.path.insert(0, launcher)
import yt_dlp  # noqa: E402

protocol.write(json.dumps({"ready": True}) + "\n")
protocol.flush()
for line in sys.stdin:
    request = json.loads(line)
    options = {"format": "mp4/best", "outtmpl": request["outtmpl"], "quiet": True, "no_warnings": True, "noprogress": True}
    try:
        with yt_dlp.YoutubeDL(options) as ydl:
            code = ydl.download([request["url"]])
        reply = {"ok": code == 0, "error": None if code == 0 else f"yt-dlp returned {code}"}
    except Exception as error:  # noqa: BLE001
        reply = {"ok": False, "error": str(error)}
    protocol.write(json.dumps(reply) + "\n")
    protocol.flush()
