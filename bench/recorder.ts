/**
 * A recording hop for the whole-stack row: a plain HTTP forwarder on 127.0.0.1 in front of one
 * origin (the engine, the bucket), so the benchmark sees when each request of the stack passed and,
 * for the engine's NDJSON job stream, when each event line passed. Nothing in the product is
 * traced: the breakdown is read from these records and the fixture server's request log.
 * Times are the bench process's `performance.now()`, like the fixture server's.
 */
import { createServer, request as httpRequest, type Server } from "node:http";
import type { AddressInfo } from "node:net";

export interface HopRecord {
  method: string;
  path: string;
  status: number;
  startMs: number;
  /** The origin's response head arrived. */
  headMs: number;
  endMs: number;
  /** Event lines of an NDJSON body (type → when first seen), e.g. the engine's job events. */
  events: { type: string; stage?: string; ms: number }[];
}

export interface Recorder {
  url: string;
  /** Records since the last call, and clears them. */
  take(): HopRecord[];
  close(): Promise<void>;
}

/** Event types and stages of the NDJSON lines in `text`; partial lines are carried over by the caller. */
function eventsOf(text: string, ms: number): HopRecord["events"] {
  const out: HopRecord["events"] = [];
  for (const line of text.split("\n")) {
    if (!line.trim()) continue;
    try {
      const event = JSON.parse(line) as { type?: unknown; stage?: unknown };
      if (typeof event.type !== "string" || event.type === "heartbeat") continue;
      out.push({ type: event.type, ...(typeof event.stage === "string" ? { stage: event.stage } : {}), ms });
    } catch {
      // not an event line (an error body): nothing to record
    }
  }
  return out;
}

export async function startRecorder(origin: string): Promise<Recorder> {
  const target = new URL(origin);
  let records: HopRecord[] = [];
  const server: Server = createServer((req, res) => {
    const record: HopRecord = {
      method: req.method ?? "GET",
      path: req.url ?? "/",
      status: 0,
      startMs: performance.now(),
      headMs: 0,
      endMs: 0,
      events: [],
    };
    records.push(record);
    const upstream = httpRequest(
      { host: target.hostname, port: target.port, method: req.method, path: req.url, headers: req.headers },
      (answer) => {
        record.status = answer.statusCode ?? 0;
        record.headMs = performance.now();
        res.writeHead(record.status, answer.headers);
        const ndjson = String(answer.headers["content-type"] ?? "").includes("ndjson");
        let partial = "";
        answer.on("data", (chunk: Buffer) => {
          if (ndjson) {
            const text = partial + chunk.toString("utf8");
            const cut = text.lastIndexOf("\n") + 1;
            record.events.push(...eventsOf(text.slice(0, cut), performance.now()));
            partial = text.slice(cut);
          }
          res.write(chunk);
        });
        answer.on("end", () => {
          record.endMs = performance.now();
          res.end();
        });
        answer.on("error", () => res.destroy());
      },
    );
    upstream.on("error", () => res.destroy());
    res.on("close", () => {
      if (!record.endMs) record.endMs = performance.now();
      if (!res.writableFinished) upstream.destroy();
    });
    req.pipe(upstream);
  });
  server.keepAliveTimeout = 60_000;
  await new Promise<void>((done) => server.listen(0, "127.0.0.1", done));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    take() {
      const out = records;
      records = [];
      return out;
    },
    close: () =>
      new Promise<void>((done) => {
        server.closeAllConnections();
        server.close(() => done());
      }),
  };
}
