/**
 * The whole service on one machine: a local S3-protocol bucket (s3rver, a test double of S3),
 * the media engine, and the Worker under `wrangler dev`, wired together. Used by `npm start`
 * (scripts/dev.ts) and by the end-to-end tests, so both run the same thing.
 *
 * The engine runs one of two ways (`engine`):
 *   "process"  `node container/src/server.ts` on the host; the Worker reaches it at CONTAINER_URL.
 *   "docker"   what deploys: `wrangler dev` builds the Dockerfile's image and workerd starts it
 *              through the real `AudioEngine` class (@cloudflare/containers) under Docker. The
 *              bucket then listens on Docker's bridge gateway, where the container can reach it.
 *              scripts/docker/ prepares dockerd, a local base image and a local stand-in for
 *              Cloudflare's egress sidecar (scripts/docker-engine.ts).
 */
import { mkdirSync, writeFileSync } from "node:fs";
import { delimiter, join, resolve } from "node:path";
import type { Readable } from "node:stream";
import { execa, type ResultPromise } from "execa";
import { DEFAULT_BUCKET } from "../shared/config.ts";
import { lines } from "../shared/lines.ts";
import { S3RVER_CREDENTIALS } from "../test/support/s3-credentials.ts";
import {
  DOCKER_HOST_ADDRESS,
  dockerUnreachable,
  dockerWranglerEnv,
  type EngineMode,
  EngineSettingsError,
  prepareDocker,
} from "./docker-engine.ts";
import { forgetEngineObjects } from "./engine-state.ts";
import { assertPortFree } from "./ports.ts";

export { DOCKER_HOST_ADDRESS, EGRESS_STANDIN_IMAGE, type EngineMode, LOCAL_BASE_IMAGE } from "./docker-engine.ts";
export { assertPortFree, freePort, PortInUseError } from "./ports.ts";

export const ROOT = resolve(import.meta.dirname, "..");
export const BIN = {
  node: process.execPath,
  bucket: join(ROOT, "test/support/s3-process.ts"),
  wrangler: join(ROOT, "node_modules/wrangler/bin/wrangler.js"),
  container: join(ROOT, "container/src/server.ts"),
};
/** Where scripts/bootstrap.mjs installs the pinned yt-dlp release. */
const TOOLS_BIN = join(ROOT, ".tools/bin");

/** How long each process may take to answer its first request: wrangler dev bundles first. */
const READY_TIMEOUT_MS = 60_000;
/**
 * With the engine in Docker, wrangler dev first builds the image: minutes the first time on
 * dockerd's vfs storage (every layer is a full copy), seconds once the layers are cached.
 */
const DOCKER_READY_TIMEOUT_MS = 15 * 60_000;
/** Time a process gets to finish its jobs on SIGTERM before it is killed. */
const STOP_GRACE_MS = 5_000;

export interface StackPorts {
  worker: number;
  container: number;
  bucket: number;
  inspector: number;
}

export interface StackOptions {
  ports: StackPorts;
  /** Where the media engine runs (see the top of this file); "process" when absent. */
  engine?: EngineMode;
  /**
   * With the engine in Docker: build its image without Docker Hub or GitHub, from the local
   * base image and with Debian's old yt-dlp (fine for local fixtures, not for today's Twitch).
   */
  offlineImage?: boolean;
  /** Variables for both processes (secret, contract variables, CLIP_SOURCE_URL_TEMPLATE…). */
  env: Record<string, string>;
  /** Where the bucket's objects and wrangler's local state live. */
  dataDir: string;
  /**
   * A Worker configuration run in front of the service in the same `wrangler dev`, bound to it
   * (e.g. examples/recap-caller/wrangler.toml). wrangler serves only the first configuration on
   * the port, so that Worker answers there and must pass the service's paths on (/health too).
   */
  frontConfig?: string;
  /** Receives every output line of every process, with its name. */
  log?: (name: ServiceName, line: string) => void;
}

export type ServiceName = "bucket" | "container" | "worker";

export interface Stack {
  urls: { worker: string; engine: string; bucket: string };
  /** The environment both processes were given. */
  env: Record<string, string>;
  engine: EngineMode;
  /** The processes this stack started (no "container" process when the engine runs in Docker). */
  processes: Partial<Record<ServiceName, ResultPromise>>;
  /** Stops (SIGTERM, then SIGKILL) one process; the others keep running. */
  stopService(name: ServiceName): Promise<void>;
  /** Starts a stopped process again with the same ports and environment. */
  restartService(name: ServiceName): Promise<void>;
  stop(): Promise<void>;
}

async function waitUntilAnswering(url: string, name: string, child: ResultPromise, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let exited = false;
  child.finally(() => {
    exited = true;
  });
  while (Date.now() < deadline) {
    if (exited) throw new Error(`${name} exited before it was ready; see its log lines above.`);
    try {
      // wrangler dev holds requests while it builds the engine's image: wait for the answer
      // rather than pile up one request every couple of seconds.
      await fetch(url, { signal: AbortSignal.timeout(30_000) });
      return;
    } catch {
      await new Promise((r) => setTimeout(r, 250));
    }
  }
  throw new Error(`${name} did not answer at ${url} within ${timeoutMs / 1000} s`);
}

function pipeLines(child: ResultPromise, name: ServiceName, log: StackOptions["log"]): void {
  const follow = async (output: Readable | null) => {
    if (!output) return;
    for await (const line of lines(output)) if (line.trim()) log?.(name, line);
  };
  // A broken pipe ends only the log lines; the process's exit is watched elsewhere.
  for (const output of [child.stdout, child.stderr]) follow(output).catch(() => undefined);
}

/** Writes the Worker's variables where `wrangler dev --env-file` reads them (owner-only). */
function writeWorkerEnvFile(dataDir: string, env: Record<string, string>): string {
  const path = join(dataDir, "worker.env");
  const lines = Object.entries(env).map(([key, value]) => `${key}=${JSON.stringify(value)}`);
  writeFileSync(path, `${lines.join("\n")}\n`, { mode: 0o600 });
  return path;
}

/**
 * With a front config the service is wrangler's second configuration, and wrangler does not
 * give a second one `--env-file` (wrangler 4.164 passes it only `--env`): it reads its
 * variables from the process environment when CLOUDFLARE_INCLUDE_PROCESS_ENV is set. The whole process environment then
 * becomes its variables, so wrangler gets only what it needs besides the stack's own.
 */
function secondaryWorkerEnv(env: Record<string, string>): Record<string, string> {
  const keep = ["PATH", "HOME", "TMPDIR", "LANG"].filter((name) => process.env[name] !== undefined);
  const inherited = Object.fromEntries(keep.map((name) => [name, process.env[name] as string]));
  return { ...inherited, ...env, CLOUDFLARE_INCLUDE_PROCESS_ENV: "true" };
}

export async function startStack(options: StackOptions): Promise<Stack> {
  const { ports, dataDir, log } = options;
  const engine = options.engine ?? "process";
  const docker = engine === "docker";
  for (const [what, port] of Object.entries(ports)) await assertPortFree(port, what);
  mkdirSync(join(dataDir, "bucket"), { recursive: true });
  const persistDir = join(dataDir, "wrangler");
  if (docker) {
    const problem = dockerUnreachable(options.env);
    if (problem) throw new EngineSettingsError(problem);
    await prepareDocker((line) => log?.("container", line));
  } else {
    // The AudioEngine objects of an earlier run in Docker would fail their alarms on every start.
    forgetEngineObjects(persistDir);
  }

  const bucket = options.env.R2_BUCKET ?? DEFAULT_BUCKET;
  // In Docker the engine reaches the bucket at the bridge gateway; the Worker can use it there too.
  const bucketHost = docker ? DOCKER_HOST_ADDRESS : "127.0.0.1";
  const urls = {
    worker: `http://127.0.0.1:${ports.worker}`,
    engine: docker ? "(in Docker, behind the Worker)" : `http://127.0.0.1:${ports.container}`,
    bucket: `http://${bucketHost}:${ports.bucket}`,
  };
  const env: Record<string, string> = {
    ENVIRONMENT: "development",
    R2_BUCKET: bucket,
    ...S3RVER_CREDENTIALS,
    S3_ENDPOINT: urls.bucket,
    ...(docker ? {} : { CONTAINER_URL: urls.engine }),
    // Stopping the stack gives each process STOP_GRACE_MS: the engine drains for less, so a job
    // in flight is cut off cleanly (subprocesses, temp files) instead of being killed with it.
    DRAIN_SECONDS: String(Math.floor(STOP_GRACE_MS / 1000) - 2),
    ...options.env,
  };
  const workerEnvFile = writeWorkerEnvFile(dataDir, env);

  const commands: Record<ServiceName, { args: string[]; env: Record<string, string>; readyUrl: string }> = {
    bucket: {
      // The tests' own s3rver launcher, so this bucket too shows an object only once it is whole.
      args: [
        BIN.bucket,
        "--directory",
        join(dataDir, "bucket"),
        "--address",
        bucketHost,
        "--port",
        String(ports.bucket),
        "--bucket",
        bucket,
      ],
      env: {},
      readyUrl: `${urls.bucket}/`,
    },
    container: {
      args: [BIN.container],
      // The pinned yt-dlp the bootstrap installs (.tools/bin) comes before the system's.
      env: {
        ...env,
        HOST: "127.0.0.1",
        PORT: String(ports.container),
        PATH: `${TOOLS_BIN}${delimiter}${process.env.PATH}`,
        // As the image's NODE_OPTIONS (Dockerfile): a 1 MB young generation (container/src/heap.ts).
        NODE_OPTIONS: "--max-semi-space-size=1",
      },
      readyUrl: `${urls.engine}/health`,
    },
    worker: {
      args: [
        BIN.wrangler,
        "dev",
        ...(options.frontConfig ? ["-c", options.frontConfig, "-c", "wrangler.toml"] : []),
        "--ip",
        "127.0.0.1",
        "--port",
        String(ports.worker),
        "--inspector-port",
        String(ports.inspector),
        "--env-file",
        workerEnvFile,
        "--persist-to",
        persistDir,
        "--show-interactive-dev-session=false",
        "--log-level",
        "log",
        `--enable-containers=${docker}`,
      ],
      env: {
        WRANGLER_SEND_METRICS: "false",
        CI: "true",
        ...(docker ? dockerWranglerEnv(options.offlineImage ?? false) : {}),
        ...(options.frontConfig ? secondaryWorkerEnv(env) : {}),
      },
      readyUrl: `${urls.worker}/health`,
    },
  };

  const processes: Stack["processes"] = {};
  const launch = async (name: ServiceName) => {
    const { args, env: childEnv, readyUrl } = commands[name];
    const child = execa(BIN.node, args, {
      cwd: ROOT,
      env: childEnv,
      // A service behind a front config takes the process environment as its variables.
      extendEnv: !(name === "worker" && options.frontConfig),
      stdin: "ignore",
      buffer: false,
      reject: false,
      forceKillAfterDelay: STOP_GRACE_MS,
      cleanup: true,
    });
    pipeLines(child, name, log);
    processes[name] = child;
    await waitUntilAnswering(
      readyUrl,
      name,
      child,
      docker && name === "worker" ? DOCKER_READY_TIMEOUT_MS : READY_TIMEOUT_MS,
    );
  };
  const stopService = async (name: ServiceName) => {
    const child = processes[name];
    if (!child || child.exitCode !== null) return;
    child.kill("SIGTERM");
    await child;
  };
  const stop = async () => {
    await Promise.all((["worker", "container", "bucket"] as const).map(stopService));
  };

  try {
    await launch("bucket");
    await Promise.all(docker ? [launch("worker")] : [launch("container"), launch("worker")]);
  } catch (error) {
    await stop();
    throw error;
  }
  return { urls, env, engine, processes, stopService, restartService: launch, stop };
}
