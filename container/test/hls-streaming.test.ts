/**
 * How container/src/hls/segments.ts passes a segment on (no media needed: the bytes are opaque
 * here). A local server stands in for a VOD CDN and holds or breaks a segment's body part way.
 */
import { createServer, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { Agent } from "undici";
import { afterEach, describe, expect, it } from "vitest";
import { parsePlaylist } from "../src/hls/playlist.ts";
import { openSegments } from "../src/hls/segments.ts";

const HALF = Buffer.alloc(64 * 1024, 1);
const PLAYLIST =
  "#EXTM3U\n#EXT-X-TARGETDURATION:2\n#EXT-X-PLAYLIST-TYPE:VOD\n#EXTINF:2.0,\nseg0\n#EXTINF:2.0,\nseg1\n#EXT-X-ENDLIST\n";

type Handler = (res: ServerResponse, attempt: number) => void;
const closers: (() => void)[] = [];
afterEach(() => {
  for (const close of closers.splice(0)) close();
});

/** Serves seg0 and seg1 with the given handlers; returns the stream and each segment's request count. */
async function open(handlers: Record<"seg0" | "seg1", Handler>) {
  const counts = { seg0: 0, seg1: 0 };
  const server = createServer((req, res) => {
    const name = req.url?.slice(1) as "seg0" | "seg1";
    counts[name] += 1;
    handlers[name](res, counts[name]);
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const agent = new Agent();
  closers.push(() => {
    server.closeAllConnections();
    server.close();
    void agent.close();
  });
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/index.m3u8`;
  const parsed = parsePlaylist(PLAYLIST, url);
  if ("unsupported" in parsed) throw new Error(parsed.unsupported);
  const stream = await openSegments(parsed.playlist, { headers: {}, dispatcher: agent }, AbortSignal.timeout(20_000));
  return { stream, counts };
}

describe("a segment's bytes on their way to the decoder", () => {
  it("go on as they arrive: the first half is read while the server still holds the second", async () => {
    let release = () => {};
    const held = new Promise<void>((resolve) => {
      release = resolve;
    });
    let finished = false;
    const { stream } = await open({
      seg0: (res) => {
        res.writeHead(200, { "content-length": String(2 * HALF.length) });
        res.write(HALF);
        void held.then(() => {
          finished = true;
          res.end(HALF);
        });
      },
      seg1: (res) => res.end(HALF),
    });
    const chunks: Buffer[] = [];
    for await (const chunk of stream.body as AsyncIterable<Buffer>) {
      if (chunks.length === 0) expect(finished).toBe(false); // before the segment's end
      chunks.push(chunk);
      release();
    }
    expect(Buffer.concat(chunks).length).toBe(3 * HALF.length);
  });

  it("take a body that broke up where it broke, with a range request", async () => {
    const ranges: (string | undefined)[] = [];
    const { stream, counts } = await open({
      seg0: (res) => res.end(HALF),
      seg1: (res, attempt) => {
        ranges.push(res.req.headers.range);
        if (attempt > 1) {
          res.writeHead(206, { "content-range": `bytes ${HALF.length}-${2 * HALF.length - 1}/${2 * HALF.length}` });
          return void res.end(Buffer.alloc(HALF.length, 2));
        }
        res.writeHead(200, { "content-length": String(2 * HALF.length) });
        res.write(HALF, () => setTimeout(() => res.socket?.destroy(), 50));
      },
    });
    const bytes = Buffer.concat(await stream.body.toArray());
    // seg0, seg1's first half once (not twice), then its second half from the range request.
    expect(bytes).toEqual(Buffer.concat([HALF, HALF, Buffer.alloc(HALF.length, 2)]));
    expect(counts).toEqual({ seg0: 1, seg1: 2 });
    expect(ranges).toEqual([undefined, `bytes=${HALF.length}-`]);
  });

  it("fail the transfer when the rest of a broken body is not served as a range (no bytes twice)", async () => {
    const { stream, counts } = await open({
      seg0: (res, attempt) => {
        if (attempt > 1) return void res.end(Buffer.concat([HALF, HALF])); // a 200: the whole again
        res.writeHead(200, { "content-length": String(2 * HALF.length) });
        res.write(HALF, () => setTimeout(() => res.socket?.destroy(), 100));
      },
      seg1: (res) => res.end(HALF),
    });
    await expect(stream.body.toArray()).rejects.toThrow("the rest of a broken segment was not served as a range");
    expect(counts.seg0).toBe(2);
  });
});
