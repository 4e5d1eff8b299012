import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startRecorder } from "./recorder.ts";
import { marksOf } from "./stack-breakdown.ts";

let origin: Server;
let originUrl = "";

beforeAll(async () => {
  // An engine-like origin: a job stream of NDJSON events in two writes, and a plain answer.
  origin = createServer((req, res) => {
    if (req.url === "/jobs") {
      res.writeHead(200, { "content-type": "application/x-ndjson" });
      res.write('{"type":"state","stage":"downloading"}\n{"type":"heart');
      setTimeout(() => res.end('beat"}\n{"type":"completed","result":{}}\n'), 20);
      return;
    }
    res.writeHead(404, { "content-type": "text/plain" }).end("no such object");
  });
  await new Promise<void>((done) => origin.listen(0, "127.0.0.1", done));
  originUrl = `http://127.0.0.1:${(origin.address() as AddressInfo).port}`;
});

afterAll(() => new Promise<void>((done) => origin.close(() => done())));

describe("the recording hop", () => {
  it("passes requests through unchanged and records them with the events of a job stream", async () => {
    const hop = await startRecorder(originUrl);
    try {
      const stream = await fetch(`${hop.url}/jobs`, { method: "POST", body: "{}" });
      const text = await stream.text();
      expect(text).toBe(
        '{"type":"state","stage":"downloading"}\n{"type":"heartbeat"}\n{"type":"completed","result":{}}\n',
      );
      const missing = await fetch(`${hop.url}/bucket/audio/x.json`);
      expect(missing.status).toBe(404);
      expect(await missing.text()).toBe("no such object");
      const [job, head] = hop.take();
      expect(job).toMatchObject({ method: "POST", path: "/jobs", status: 200 });
      // Heartbeats are not events; a line split across writes is read whole.
      expect(job?.events.map((e) => [e.type, e.stage])).toEqual([
        ["state", "downloading"],
        ["completed", undefined],
      ]);
      expect(job?.events[1]?.ms).toBeGreaterThan(job?.events[0]?.ms ?? Number.POSITIVE_INFINITY);
      expect(head).toMatchObject({ method: "GET", path: "/bucket/audio/x.json", status: 404 });
      expect(hop.take()).toEqual([]);
    } finally {
      await hop.close();
    }
  });
});

describe("the breakdown's marks", () => {
  it("places each mark after the request, from the fixture log and the hops", () => {
    const record = (method: string, path: string, startMs: number, endMs: number) => ({
      method,
      path,
      status: 200,
      bytes: 0,
      startMs,
      endMs,
    });
    const hop = (
      method: string,
      path: string,
      startMs: number,
      endMs: number,
      events: [string, string?, number?][],
    ) => ({
      ...record(method, path, startMs, endMs),
      headMs: startMs,
      events: events.map(([type, stage, ms]) => ({ type, ...(stage ? { stage } : {}), ms: ms ?? 0 })),
    });
    const marks = marksOf(
      1000,
      "c1",
      [
        record("GET", "/auto/clips/c1.m3u8", 1200, 1201),
        record("GET", "/media/clip-360p30.mp4.m3u8", 1500, 1501),
        record("GET", "/media/clip-360p30.mp4", 1510, 2300),
      ],
      {
        engine: [
          hop("POST", "/jobs", 1100, 2500, [
            ["state", "downloading", 1150],
            ["state", "extracting", 2350],
            ["completed", undefined, 2480],
          ]),
        ],
        bucket: [
          hop("PUT", "/b/audio/c1.wav", 2360, 2400, []),
          hop("PUT", "/b/audio/c1.json", 2410, 2420, []),
          hop("HEAD", "/b/audio/c1.json", 2490, 2495, []),
        ],
      },
      1520,
    );
    expect(marks).toEqual({
      "engine: job request in": 100,
      "source: first request (extraction starts)": 200,
      "source: media playlist (extraction done)": 500,
      "source: first media request": 510,
      "source: media fully sent (download end)": 1300,
      "engine: extracting (decode done)": 1350,
      "bucket: WAV PUT done": 1400,
      "bucket: manifest PUT done": 1420,
      "engine: completed event": 1480,
      "worker: manifest HEAD done": 1495,
      response: 1520,
    });
  });
});
