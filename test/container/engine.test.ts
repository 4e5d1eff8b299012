/**
 * What deploys, run here: signed requests to the Worker under `wrangler dev`, which reaches the
 * media engine only through the `AudioEngine` Container class (no CONTAINER_URL), running the
 * image built from our Dockerfile under Docker. Clips come from the local fixture server (a
 * stand-in for Twitch), objects land in s3rver (a test double of S3). See global-setup.ts.
 */

import { AwsClient } from "aws4fetch";
import { execa } from "execa";
import { describe, expect, inject, it, vi } from "vitest";
import { signRequest } from "../../shared/hmac.ts";
import { keys } from "../../shared/keys.ts";
import type { Manifest, ProcessClipsResponse, Task } from "../../shared/schemas.ts";
import { decodeWav, dominantFrequency } from "../support/audio.ts";
import { SPEECH_WAV } from "../support/ffprobe.ts";
import { CLIP_SECONDS, TONE_HZ } from "../support/media.ts";
import { engineContainers } from "./engines.ts";
import { WORKER_SETTINGS } from "./global-setup.ts";

const workerUrl = inject("workerUrl");
const secret = inject("secret");
const credentials = inject("s3Credentials");
const bucket = new AwsClient({ ...credentials, service: "s3", region: "auto" });
let ipCounter = 0;

async function api(path: string, body?: unknown): Promise<Response> {
  const text = body === undefined ? "" : JSON.stringify(body);
  const headers: Record<string, string> = {
    "CF-Connecting-IP": `198.51.100.${++ipCounter}`,
    ...(await signRequest(secret, text)),
  };
  if (text) headers["content-type"] = "application/json";
  return fetch(`${workerUrl}${path}`, { method: text ? "POST" : "GET", headers, ...(text ? { body: text } : {}) });
}

async function object(key: string): Promise<Response> {
  return bucket.fetch(`${inject("bucketUrl")}/${inject("bucketName")}/${key}`);
}

interface ContainerProcess {
  pid: number;
  cmd: string;
  uid: number;
  /** Null when the kernel refuses it to the reader. */
  env: Record<string, string> | null;
}

/**
 * Every other process in a container with its command line, uid and environment, read from
 * /proc as the user the tools run as (`node`), i.e. what yt-dlp could read: /proc/PID/environ
 * needs the same user (and a dumpable process) or CAP_SYS_PTRACE, which Docker does not give.
 */
async function processesIn(container: string): Promise<ContainerProcess[]> {
  const script = `
    const fs = require("node:fs");
    const out = [];
    for (const pid of fs.readdirSync("/proc").filter((p) => /^\\d+$/.test(p) && Number(p) !== process.pid)) {
      try {
        const cmd = fs.readFileSync("/proc/" + pid + "/cmdline", "utf8").split("\\0").join(" ").trim();
        const uid = Number(/^Uid:\\s+(\\d+)/m.exec(fs.readFileSync("/proc/" + pid + "/status", "utf8"))[1]);
        let env = null;
        try {
          env = Object.fromEntries(fs.readFileSync("/proc/" + pid + "/environ", "utf8").split("\\0")
            .filter(Boolean).map((kv) => [kv.slice(0, kv.indexOf("=")), kv.slice(kv.indexOf("=") + 1)]));
        } catch {}
        out.push({ pid: Number(pid), cmd, uid, env });
      } catch {}
    }
    console.log(JSON.stringify(out));`;
  const { stdout } = await execa("docker", ["exec", "-u", "node", container, "node", "-e", script]);
  return JSON.parse(stdout) as ContainerProcess[];
}

describe("the Worker with the engine in a real container", () => {
  it("processes a clip synchronously; the WAV in the bucket is RIFF 16 kHz mono, 6 s of 440 Hz", async () => {
    const response = await api("/api/process-clips", { clip_ids: ["tone-ctr"] });
    expect(response.status).toBe(200);
    expect(await response.json()).toMatchObject({ success: true, message: "Processed 1/1 clips successfully" });

    const wav = Buffer.from(await (await object(keys.wav("tone-ctr"))).arrayBuffer());
    expect(wav.subarray(0, 4).toString("latin1")).toBe("RIFF");
    // Read by ffprobe, not by the engine's own WAV parser.
    const decoded = decodeWav(wav);
    expect(decoded).toMatchObject(SPEECH_WAV);
    expect(Math.abs(decoded.durationSeconds - CLIP_SECONDS)).toBeLessThan(0.05);
    expect(dominantFrequency(decoded.samples, decoded.sampleRate)).toBe(TONE_HZ);

    // The Worker has no CONTAINER_URL: the only engine is the one workerd started in Docker.
    const containers = await engineContainers();
    expect(containers.length).toBeGreaterThan(0);
    const engines = await Promise.all(containers.map(processesIn));
    expect(engines.flat().some((p) => p.cmd === "node container/src/server.ts")).toBe(true);
  });

  it("applies settings set on the Worker only (MAX_CLIP_DURATION, CHUNK_SECONDS) inside the container", async () => {
    // Defaults (300 s, 30 s) would leave a 6 s clip unchunked; with 5 and 5 it is cut in two.
    expect((await api("/api/process-clips", { clip_ids: ["tone-ctr-chunks"] })).status).toBe(200);
    const manifest = (await (await object(keys.manifest("tone-ctr-chunks"))).json()) as Manifest;
    expect(manifest.chunks).toHaveLength(2);
    for (const chunk of manifest.chunks) {
      expect(chunk.duration_s).toBeLessThanOrEqual(Number(WORKER_SETTINGS.CHUNK_SECONDS) + 0.01);
    }
    expect(manifest.chunks.reduce((sum, c) => sum + c.duration_s, 0)).toBeCloseTo(CLIP_SECONDS, 1);
    expect((await object(keys.chunk("tone-ctr-chunks", 1))).status).toBe(200);
  });

  it("completes a background job", async () => {
    const response = await api("/api/process-clips", { clip_ids: ["tone-ctr-bg"], background: true });
    expect(response.status).toBe(202);
    const { task_id } = (await response.json()) as ProcessClipsResponse;
    const task = await vi.waitFor(
      async () => {
        const now = (await (await api(`/api/task/${task_id}`)).json()) as Task;
        if (now.status !== "completed" && now.status !== "failed") throw new Error(`task is ${now.status}`);
        return now;
      },
      { timeout: 90_000, interval: 500 },
    );
    expect(task.status).toBe("completed");
    expect((await object(keys.wav("tone-ctr-bg"))).status).toBe(200);
  });

  it("gives yt-dlp and ffmpeg inside the container none of the secrets the engine holds, nor a way to read them", async () => {
    // A clip whose media trickle in keeps the download subprocess alive long enough to look at.
    const response = await api("/api/process-clips", { clip_ids: ["slow-ctr"], background: true });
    expect(response.status).toBe(202);
    const found = await vi.waitFor(
      async () => {
        for (const id of await engineContainers()) {
          const processes = await processesIn(id);
          // The resident extractors (Python with yt_dlp), ffmpeg, and any yt-dlp command.
          const tools = processes.filter((p) => /yt-dlp|ffmpeg|extractor\.py|python/.test(p.cmd));
          if (tools.length > 0) return { container: id, processes, tools };
        }
        throw new Error("no yt-dlp or ffmpeg process seen in an engine container");
      },
      // A cold engine instance is a new container: seconds to tens of seconds on vfs.
      { timeout: 120_000, interval: 500 },
    );
    // The engine was started with the secrets (so the checks below can see them if they leaked)…
    const container = found.container;
    const { stdout } = await execa("docker", ["inspect", "--format", "{{json .Config.Env}}", container]);
    const startEnv = JSON.parse(stdout) as string[];
    expect(startEnv).toContain(`HMAC_SHARED_SECRET=${secret}`);
    expect(startEnv).toContain(`R2_SECRET_ACCESS_KEY=${credentials.secretAccessKey}`);
    // …but switched to the tools' user itself, which leaves its environment unreadable to them
    // (container/src/privileges.ts), while the tools run as that user…
    const engine = found.processes.find((p) => p.cmd === "node container/src/server.ts");
    const nodeUid = Number((await execa("docker", ["exec", container, "id", "-u", "node"])).stdout);
    expect(engine).toMatchObject({ uid: nodeUid, env: null });
    for (const tool of found.tools) expect(tool.uid, tool.cmd).toBe(nodeUid);
    // …and the tools' own environments hold none of them, under any name.
    const secrets = [secret, credentials.secretAccessKey, credentials.accessKeyId];
    for (const tool of found.tools) {
      expect(tool.env, tool.cmd).not.toBeNull();
      if (!tool.env) continue;
      expect(Object.keys(tool.env)).not.toContain("HMAC_SHARED_SECRET");
      expect(Object.keys(tool.env)).not.toContain("R2_SECRET_ACCESS_KEY");
      expect(Object.keys(tool.env)).not.toContain("R2_ACCESS_KEY_ID");
      for (const value of Object.values(tool.env)) expect(secrets).not.toContain(value);
    }
  });
});
