/**
 * The engine in Docker, as `npm start` and the container tier run it (scripts/stack.ts, engine
 * "docker"): what scripts/docker/ prepares (dockerd, a local base image, a stand-in for
 * Cloudflare's egress sidecar), what wrangler needs to build and run the image with this
 * machine's Docker, and which settings an engine in a container cannot use.
 */
import { join, resolve } from "node:path";
import { execa } from "execa";

/** The host as containers on Docker's default bridge see it (dockerd runs with --bip=172.17.0.1/16). */
export const DOCKER_HOST_ADDRESS = "172.17.0.1";
/** The images scripts/docker/prepare.sh builds (no Docker Hub here): the base, and the egress sidecar's stand-in. */
export const LOCAL_BASE_IMAGE = process.env.CLIP_AUDIO_BASE_IMAGE ?? "clip-audio-base:bookworm-node22";
export const EGRESS_STANDIN_IMAGE = process.env.MINIFLARE_CONTAINER_EGRESS_IMAGE ?? "clip-audio-egress-standin:local";
const DOCKER_SCRIPTS = resolve(import.meta.dirname, "docker");

export type EngineMode = "process" | "docker";

/** A setting the chosen engine cannot work with; the message names the fix. */
export class EngineSettingsError extends Error {
  override readonly name = "EngineSettingsError";
}

/**
 * Runs scripts/docker/prepare.sh (npm packages, dockerd, local base image, egress stand-in),
 * handing its lines to `log`. Throws with its output when it fails.
 */
export async function prepareDocker(log: (line: string) => void): Promise<void> {
  const result = await execa(join(DOCKER_SCRIPTS, "prepare.sh"), { stdin: "ignore", all: true, reject: false });
  for (const line of result.all.split("\n")) if (line.trim()) log(line);
  if (result.exitCode !== 0) throw new Error(`scripts/docker/prepare.sh failed:\n${result.all}`);
}

/** A Docker engine answers and holds the images scripts/docker/prepare.sh builds. */
export async function dockerReadied(): Promise<boolean> {
  const inspect = await execa("docker", ["image", "inspect", LOCAL_BASE_IMAGE, EGRESS_STANDIN_IMAGE], {
    reject: false,
    stdin: "ignore",
    stdout: "ignore",
    stderr: "ignore",
    timeout: 15_000,
  });
  return inspect.exitCode === 0;
}

/** Debian's yt-dlp and the image scripts/docker/base-image.sh builds: an image made offline. */
const OFFLINE_IMAGE_ARGS = {
  CLIP_AUDIO_BASE_IMAGE: LOCAL_BASE_IMAGE,
  CLIP_AUDIO_YT_DLP_SOURCE: "debian",
};

/** What wrangler needs to build and run the engine's image with this machine's Docker. */
export function dockerWranglerEnv(offlineImage: boolean): Record<string, string> {
  return {
    WRANGLER_DOCKER_BIN: join(DOCKER_SCRIPTS, "docker-for-wrangler.sh"),
    MINIFLARE_CONTAINER_EGRESS_IMAGE: EGRESS_STANDIN_IMAGE,
    ...(offlineImage ? OFFLINE_IMAGE_ARGS : {}),
  };
}

/** The settings naming a URL the engine fetches itself. */
const ENGINE_URL_SETTINGS = ["CLIP_SOURCE_URL_TEMPLATE", "DEMO_SOURCE_URL", "S3_ENDPOINT"] as const;

function isLoopback(hostname: string): boolean {
  const host = hostname.toLowerCase().replace(/^\[(.*)\]$/, "$1");
  return (
    host === "localhost" ||
    host.endsWith(".localhost") ||
    /^127\.\d+\.\d+\.\d+$/.test(host) ||
    host === "::1" ||
    host === "0.0.0.0" ||
    host === "::"
  );
}

/**
 * Why an engine in Docker could not use these settings, or null. Inside the container,
 * 127.0.0.1 and localhost are the container itself: a source on this machine's loopback is never
 * reached, and every clip would fail with `download_failed`. The host is reached at the bridge
 * gateway, by a server that listens there (or on 0.0.0.0), as `npm start` serves its demo clips
 * and bucket.
 */
export function dockerUnreachable(env: Record<string, string | undefined>): string | null {
  for (const name of ENGINE_URL_SETTINGS) {
    const value = env[name];
    if (!value) continue;
    let hostname: string;
    try {
      hostname = new URL(value.replaceAll("{id}", "id")).hostname;
    } catch {
      continue; // not a URL: the engine's own validation names it
    }
    if (!isLoopback(hostname)) continue;
    const onGateway = value.replace(
      /^([a-z][a-z0-9+.-]*:\/\/(?:[^@/]*@)?)(\[[^\]]*\]|[^:/?#]*)/i,
      `$1${DOCKER_HOST_ADDRESS}`,
    );
    return (
      `${name}=${value} names this machine's loopback, which the engine in Docker cannot reach ` +
      `(there ${hostname} is the container itself, so every clip would fail with download_failed). ` +
      `Serve it on Docker's bridge gateway (listen on ${DOCKER_HOST_ADDRESS} or 0.0.0.0) and set ` +
      `${name}=${onGateway}, or run the engine on the host: CLIP_AUDIO_ENGINE=process.`
    );
  }
  return null;
}

/**
 * Where the engine runs, from CLIP_AUDIO_ENGINE (`requested`): `docker` runs what deploys, the
 * Dockerfile's image under `wrangler dev` through the real AudioEngine class; `process` runs the
 * engine as a Node process on the host. `auto` (the default) picks docker when Docker has been
 * readied (`readied`) and the settings suit an engine in a container, else process, saying why
 * in `notice` when the settings decided it. `docker` with such settings is refused.
 */
export async function chooseEngine(
  requested: string | undefined,
  settings: Record<string, string | undefined>,
  readied: () => Promise<boolean> = dockerReadied,
): Promise<{ mode: EngineMode; notice?: string }> {
  const raw = requested?.trim() || "auto";
  if (raw === "process") return { mode: "process" };
  if (raw !== "docker" && raw !== "auto") {
    throw new EngineSettingsError(`CLIP_AUDIO_ENGINE=${JSON.stringify(raw)}: expected process, docker or auto`);
  }
  const problem = dockerUnreachable(settings);
  if (raw === "docker") {
    if (problem) throw new EngineSettingsError(problem);
    return { mode: "docker" };
  }
  if (!(await readied())) return { mode: "process" };
  if (problem) return { mode: "process", notice: `The engine runs on the host, not in Docker: ${problem}` };
  return { mode: "docker" };
}
