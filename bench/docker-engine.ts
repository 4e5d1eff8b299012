/**
 * The engine as it deploys, for the benchmark: the Dockerfile's image, started with the
 * container's own command under `docker run` with the limits of a Cloudflare Containers instance
 * type (standard-1: 1/2 vCPU, 4 GiB), so the figures say what one deployed instance sustains.
 *
 * The image is built offline as CI builds it (.ci/run: the local base image and Debian's yt-dlp,
 * scripts/docker-engine.ts), from this checkout's sources every time (unchanged layers come from
 * the cache). The fixture server and the bucket listen on Docker's bridge gateway, which is the
 * host as the container sees it. The engine's memory is sampled on the host: its Node process is
 * the container's first process (the Dockerfile's CMD in exec form), whose host pid
 * `docker inspect` gives, and yt-dlp and ffmpeg are its descendants in the host's /proc.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { execa } from "execa";
import { DOCKER_HOST_ADDRESS, dockerWranglerEnv } from "../scripts/docker-engine.ts";
import { ROOT } from "./fixtures.ts";
import { BENCH_SECRET, type Service, startService } from "./service.ts";

export { DOCKER_HOST_ADDRESS };
export const BENCH_IMAGE = "clip-audio-engine:bench";
/** The container's port (the Dockerfile's PORT). */
const ENGINE_PORT = 8080;
const READY_TIMEOUT_MS = 60_000;

/** What one engine container may use; `cpus: null` is no CPU limit (the whole machine). */
export interface EngineLimits {
  cpus: number | null;
  memory: string;
}

/** standard-1, the instance type wrangler.toml deploys: 1/2 vCPU, 4 GiB. */
export const STANDARD_1: EngineLimits = { cpus: 0.5, memory: "4g" };

/** Builds BENCH_IMAGE from the Dockerfile, offline. Throws with the build's output when it fails. */
export async function buildBenchImage(log: (line: string) => void): Promise<void> {
  const t0 = performance.now();
  const result = await execa(
    join(ROOT, "scripts/docker/docker-for-wrangler.sh"),
    ["build", "-t", BENCH_IMAGE, "-f", "-", "."],
    {
      cwd: ROOT,
      inputFile: join(ROOT, "Dockerfile"),
      env: dockerWranglerEnv(true),
      all: true,
      reject: false,
    },
  );
  if (result.exitCode !== 0) {
    throw new Error(
      `building ${BENCH_IMAGE} failed (run scripts/docker/prepare.sh first for dockerd and the base image):\n${result.all}`,
    );
  }
  log(`image ${BENCH_IMAGE} built in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
}

async function docker(args: string[], env?: Record<string, string>): Promise<string> {
  const result = await execa("docker", args, { env, stdin: "ignore" });
  return result.stdout.trim();
}

async function waitHealthy(url: string, id: string): Promise<void> {
  const deadline = Date.now() + READY_TIMEOUT_MS;
  while (Date.now() < deadline) {
    try {
      const response = await fetch(`${url}/health`);
      await response.body?.cancel();
      if (response.ok) return;
    } catch {
      // not listening yet
    }
    if ((await docker(["inspect", "-f", "{{.State.Running}}", id])) !== "true") {
      const logs = await execa("docker", ["logs", "--tail", "40", id], { all: true, reject: false });
      throw new Error(`engine container exited before it was ready:\n${logs.all}`);
    }
    await new Promise((done) => setTimeout(done, 200));
  }
  throw new Error(`engine container at ${url} not ready after ${READY_TIMEOUT_MS / 1000} s`);
}

/** `--engine host|docker [--cpus N]`: null (a process on the host), or the image's limits (4 GiB, N CPUs or no limit). */
export function engineLimits(engine = "host", cpus?: string): EngineLimits | null {
  if (engine === "host") return null;
  if (engine !== "docker") throw new Error(`--engine ${engine}: expected host or docker`);
  const limit = cpus === undefined ? null : Number(cpus);
  if (limit !== null && !(limit > 0)) throw new Error(`--cpus ${cpus}: expected a positive number`);
  return { ...STANDARD_1, cpus: limit };
}

/** The bench's engine service: `node container/src/server.ts` on the host (`limits` null), or its image under `limits`. */
export async function startEngineService(env: Record<string, string>, limits: EngineLimits | null): Promise<Service> {
  return limits ? await startDockerEngine(env, limits) : await startService("engine", env);
}

export function describeEngine(limits: EngineLimits | null): string {
  if (!limits) return "node container/src/server.ts";
  return `the Dockerfile's image (CMD node container/src/server.ts) under --cpus ${limits.cpus ?? "unlimited"} --memory ${limits.memory}`;
}

/**
 * Starts the engine's image with `limits`, `env` added to the image's own settings and to what
 * bench/service.ts gives a host engine (values go through the docker client's environment, not
 * its arguments), its port published on the host's loopback only. Resolves when /health answers.
 */
async function startDockerEngine(env: Record<string, string>, limits: EngineLimits): Promise<Service> {
  const settings = { ...env, HMAC_SHARED_SECRET: BENCH_SECRET, ENVIRONMENT: "production" };
  const args = ["run", "-d", "--rm", "--memory", limits.memory, "-p", `127.0.0.1::${ENGINE_PORT}`];
  if (limits.cpus !== null) args.push("--cpus", String(limits.cpus));
  for (const name of Object.keys(settings)) args.push("-e", name);
  const id = await docker([...args, BENCH_IMAGE], { ...process.env, ...settings } as Record<string, string>);
  try {
    const address = await docker(["port", id, String(ENGINE_PORT)]);
    const port = address.split("\n")[0]?.split(":").at(-1);
    const url = `http://127.0.0.1:${port}`;
    await waitHealthy(url, id);
    const pid = Number(await docker(["inspect", "-f", "{{.State.Pid}}", id]));
    return {
      name: "engine",
      pid,
      url,
      async stop() {
        await execa("docker", ["stop", "-t", "5", id], { reject: false });
      },
    };
  } catch (error) {
    await execa("docker", ["rm", "-f", id], { reject: false });
    throw error;
  }
}

/** CPU time of a container, in seconds: used, and held back by its CPU quota (throttled). */
export interface ContainerCpu {
  used: number;
  throttled: number;
}

/**
 * The CPU time of the container of process `pid` so far (all its processes), from its cgroup (v1
 * cpuacct and cpu, or v2 cpu.stat); null when it cannot be read. Under --cpus, `used` is what the
 * quota rations, so seconds per clip say how many clips a limit allows; `throttled` says whether
 * the quota, not the machine's other load, held the container back.
 */
export function containerCpu(pid: number): ContainerCpu | null {
  const lines = read(`/proc/${pid}/cgroup`)?.split("\n") ?? [];
  const path = (controller: string) => {
    const line = lines.find((l) => new RegExp(`^\\d+:[^:]*\\b${controller}\\b[^:]*:`).test(l));
    const [, controllers, group] = line?.split(":") ?? [];
    return line ? `/sys/fs/cgroup/${controllers}${group}` : null;
  };
  const usage = read(`${path("cpuacct")}/cpuacct.usage`);
  if (usage !== null) {
    const stat = read(`${path("cpu")}/cpu.stat`) ?? "";
    return { used: Number(usage) / 1e9, throttled: Number(/throttled_time (\d+)/.exec(stat)?.[1] ?? 0) / 1e9 };
  }
  const v2 = lines.find((l) => l.startsWith("0::"));
  const stat = v2 ? read(`/sys/fs/cgroup${v2.slice(3)}/cpu.stat`) : null;
  const used = stat ? /usage_usec (\d+)/.exec(stat)?.[1] : undefined;
  if (!used) return null;
  return { used: Number(used) / 1e6, throttled: Number(/throttled_usec (\d+)/.exec(stat ?? "")?.[1] ?? 0) / 1e6 };
}

function read(path: string): string | null {
  try {
    return readFileSync(path, "utf8").trim();
  } catch {
    return null;
  }
}
