/** Which HLS playlists Node reads itself (hls/playlist.ts), and which it leaves to ffmpeg. */
import { expect, it } from "vitest";
import { parsePlaylist } from "../src/hls/playlist.ts";

const BASE = "https://cdn.example/vod/abc/chunked/index-dvr.m3u8";
const vod = (body: string) => `#EXTM3U\n#EXT-X-VERSION:3\n#EXT-X-TARGETDURATION:2\n${body}#EXT-X-ENDLIST\n`;

it("lists a VOD's segments with their lengths and places on the timeline, resolved against the playlist", () => {
  const parsed = parsePlaylist(vod("#EXTINF:2.000,\n0.ts\n#EXTINF:1.5,\n1-muted.ts\n#EXTINF:2,\n/x/2.ts\n"), BASE);
  expect(parsed).toEqual({
    playlist: {
      initUrl: null,
      segments: [
        { url: "https://cdn.example/vod/abc/chunked/0.ts", seconds: 2, startSeconds: 0 },
        { url: "https://cdn.example/vod/abc/chunked/1-muted.ts", seconds: 1.5, startSeconds: 2 },
        { url: "https://cdn.example/x/2.ts", seconds: 2, startSeconds: 3.5 },
      ],
    },
  });
});

it("takes an fMP4 stream's init segment from EXT-X-MAP", () => {
  const parsed = parsePlaylist(vod('#EXT-X-MAP:URI="init.mp4"\n#EXTINF:2,\n0.m4s\n'), BASE);
  expect(parsed).toMatchObject({ playlist: { initUrl: "https://cdn.example/vod/abc/chunked/init.mp4" } });
});

it.each([
  ["a master playlist", "#EXTM3U\n#EXT-X-STREAM-INF:BANDWIDTH=1\nv.m3u8\n#EXT-X-ENDLIST\n"],
  ["encrypted segments", vod('#EXT-X-KEY:METHOD=AES-128,URI="k"\n#EXTINF:2,\n0.ts\n')],
  ["byte-range segments", vod("#EXTINF:2,\n#EXT-X-BYTERANGE:100@0\nall.ts\n")],
  ["a live playlist (no EXT-X-ENDLIST)", "#EXTM3U\n#EXTINF:2,\n0.ts\n"],
  ["a discontinuity", vod("#EXTINF:2,\n0.ts\n#EXT-X-DISCONTINUITY\n#EXTINF:2,\n1.ts\n")],
  ["not an M3U8 playlist", "<html></html>"],
])("leaves %s to ffmpeg", (reason, text) => {
  expect(parsePlaylist(text, BASE)).toEqual({ unsupported: reason });
});

it("reads segments that are not encrypted (METHOD=NONE)", () => {
  expect(parsePlaylist(vod("#EXT-X-KEY:METHOD=NONE\n#EXTINF:2,\n0.ts\n"), BASE)).toHaveProperty("playlist");
});
