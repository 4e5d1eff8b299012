/**
 * A stand-in for what lies between the Worker and its engine in production — Cloudflare's
 * network and the Container Durable Object that proxies to the container — which cannot exist
 * here. It is a real HTTP relay in front of real engine processes, and tests tell it to do what
 * the platform does to a job:
 *
 *   POST /__link/cut/<clip_id>   break the Worker's streams of that clip's job (a Durable Object
 *                                reset by a deploy, a lost connection); the engine runs on
 *   POST /__link/rollout/<name>  SIGTERM the managed engine <name> (a rollout): it drains while
 *                                still answering; once it has exited, the next request starts a
 *                                new process (a new instance, with a cold start)
 *   GET  /__link/stats           {starts: {<name>: n}, cuts: n, known_new: [clip ids]}: the clips
 *                                whose job requests said the Worker found them new (known_new)
 *
 * Job requests for a clip id containing `-<name>-` go to the managed engine <name>; everything
 * else goes to the shared engine. Each managed engine has its own DRAIN_SECONDS. As the
 * Container class does, a request that finds a managed engine gone (refused while it exits)
 * is sent again to a new one.
 */
import { createServer, request as httpRequest, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { type EngineProcess, startEngineProcess } from "./engine-process.ts";

export interface EngineLink {
  url: string;
  close(): Promise<void>;
}

interface Managed {
  drainSeconds: number;
  current: Promise<EngineProcess> | null;
  starts: number;
}

export async function startEngineLink(
  sharedEngineUrl: string,
  engineEnv: Record<string, string>,
  managedDrainSeconds: Record<string, number>,
): Promise<EngineLink> {
  const managed = new Map<string, Managed>(
    Object.entries(managedDrainSeconds).map(([name, drainSeconds]) => [
      name,
      { drainSeconds, current: null, starts: 0 },
    ]),
  );
  const streams = new Map<string, Set<ServerResponse>>();
  let cuts = 0;
  const knownNew: string[] = [];

  const engineFor = async (clipId: string): Promise<{ url: string; exited?: Promise<unknown> }> => {
    const name = [...managed.keys()].find((key) => clipId.includes(`-${key}-`));
    const entry = name ? managed.get(name) : undefined;
    if (!entry) return { url: sharedEngineUrl };
    if (!entry.current) {
      entry.starts++;
      const started = startEngineProcess({ ...engineEnv, DRAIN_SECONDS: String(entry.drainSeconds) });
      entry.current = started;
      // Once it exits (after a drain), the next request starts a new one.
      void started.then((engine) => engine.process.finally(() => (entry.current = null)));
    }
    const engine = await entry.current;
    return { url: engine.url, exited: engine.process };
  };

  const control = (req: IncomingMessage, res: ServerResponse, path: string) => {
    const [, verb, name] = /^\/__link\/([^/]+)\/?(.*)$/.exec(path) ?? [];
    if (verb === "cut" && name) {
      const open = streams.get(name) ?? new Set();
      for (const stream of open) stream.destroy();
      cuts += open.size;
      return void res.end(JSON.stringify({ cut: open.size }));
    }
    if (verb === "rollout" && name && managed.get(name)?.current) {
      void managed.get(name)?.current?.then((engine) => process.kill(engine.process.pid as number, "SIGTERM"));
      return void res.end(JSON.stringify({ rolled: name }));
    }
    if (verb === "stats" && req.method === "GET") {
      const starts = Object.fromEntries([...managed].map(([key, entry]) => [key, entry.starts]));
      return void res.end(JSON.stringify({ starts, cuts, known_new: knownNew }));
    }
    res.writeHead(404).end();
  };

  const server = createServer(async (req, res) => {
    const path = req.url ?? "/";
    if (path.startsWith("/__link/")) return control(req, res, path);
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const body = Buffer.concat(chunks);
    const clipId = clipOf(req.method ?? "GET", path, body);
    if (clipId && saysKnownNew(req.method ?? "GET", path, body)) knownNew.push(clipId);
    if (clipId) {
      const open = streams.get(clipId) ?? new Set();
      streams.set(clipId, open.add(res));
      res.on("close", () => open.delete(res));
    }
    const relay = async (retry: boolean) => {
      const target = await engineFor(clipId);
      const upstream = httpRequest(`${target.url}${path}`, { method: req.method, headers: req.headers }, (answer) => {
        res.writeHead(answer.statusCode ?? 502, answer.headers);
        answer.pipe(res);
      });
      upstream.on("error", async () => {
        if (res.headersSent || !retry || !target.exited) return void res.destroy();
        await target.exited;
        relay(false).catch(() => res.destroy());
      });
      // A cut (or the Worker going away) closes the engine's side too: the engine unsubscribes.
      res.on("close", () => upstream.destroy());
      upstream.end(body);
    };
    relay(true).catch((error) => res.writeHead(502).end(String(error)));
  });
  server.listen(0, "127.0.0.1");
  await new Promise((resolve) => server.once("listening", resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    close: async () => {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
      await Promise.all([...managed.values()].map(async (entry) => (await entry.current)?.stop()));
    },
  };
}

/** Whether a job request tells the engine the Worker found its clip new (JobRequest.known_new). */
function saysKnownNew(method: string, path: string, body: Buffer): boolean {
  if (method !== "POST" || path !== "/jobs") return false;
  try {
    return (JSON.parse(body.toString()) as { known_new?: unknown }).known_new === true;
  } catch {
    return false;
  }
}

/** The clip a job request is about (POST /jobs body, DELETE /jobs/<id>), or "". */
function clipOf(method: string, path: string, body: Buffer): string {
  if (method === "POST" && path === "/jobs") {
    try {
      return String((JSON.parse(body.toString()) as { clip_id?: unknown }).clip_id ?? "");
    } catch {
      return "";
    }
  }
  return /^\/jobs\/([^/?]+)/.exec(path)?.[1] ?? "";
}
