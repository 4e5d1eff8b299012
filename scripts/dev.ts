/**
 * `npm start`: the whole service locally (bucket, engine, Worker) in one terminal,
 * with prefixed logs and a clean shutdown on Ctrl-C.
 *
 * Configuration: the process environment, then `.dev.vars`, then `.env` (both git-ignored),
 * then defaults. Without HMAC_SHARED_SECRET one is generated once and kept in `.dev-data/`.
 */
import { randomBytes } from "node:crypto";
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { parseEnv as parseDotenv } from "node:util";
import { DEFAULT_BUCKET, DEFAULT_CLIP_SOURCE_URL_TEMPLATE, pickEnv, unknownNames } from "../shared/config.ts";
import { EngineHealth } from "../shared/schemas.ts";
import { describeYtDlp } from "../shared/ytdlp-age.ts";
import { KNOWN_SETTINGS, SETTING_NAMES } from "../worker/src/config.ts";
import { startDemo, tryItText } from "./demo.ts";
import { chooseEngine, DOCKER_HOST_ADDRESS, EngineSettingsError } from "./docker-engine.ts";
import { PortInUseError, ROOT, type ServiceName, startStack } from "./stack.ts";

const DATA_DIR = join(ROOT, ".dev-data");
const COLORS: Record<ServiceName, string> = { bucket: "\x1b[35m", container: "\x1b[36m", worker: "\x1b[33m" };

function readDotenv(name: string): Record<string, string> {
  const path = join(ROOT, name);
  return existsSync(path) ? (parseDotenv(readFileSync(path, "utf8")) as Record<string, string>) : {};
}

/**
 * Process environment over `.dev.vars` over `.env`, for the names the service reads (taken from
 * its schemas, so a new setting needs no edit here). A name in the files that nothing reads is
 * reported: it is most likely a typo.
 */
function loadSettings(): Record<string, string> {
  const files = { ...readDotenv(".env"), ...readDotenv(".dev.vars") };
  const unknown = unknownNames(files, KNOWN_SETTINGS);
  if (unknown.length > 0) {
    console.warn(`.env / .dev.vars: ignoring unknown setting(s) ${unknown.join(", ")} (README, "Configuration")`);
  }
  return pickEnv({ ...files, ...process.env }, SETTING_NAMES);
}

/** A generated development secret in `.dev-data/<name>`, made once and reused (signed scripts, browser sessions). */
function developmentSecret(name = "hmac-secret"): string {
  const path = join(DATA_DIR, name);
  if (existsSync(path)) return readFileSync(path, "utf8").trim();
  const secret = randomBytes(32).toString("hex");
  writeFileSync(path, `${secret}\n`, { mode: 0o600 });
  return secret;
}

function port(name: string, fallback: number): number {
  const raw = process.env[name];
  if (raw === undefined || raw === "") return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < 1 || value > 65535) {
    throw new Error(`${name}=${JSON.stringify(raw)}: expected a TCP port from 1 to 65535`);
  }
  return value;
}

async function main(): Promise<void> {
  mkdirSync(DATA_DIR, { recursive: true });
  const settings = loadSettings();
  const generated = !settings.HMAC_SHARED_SECRET && settings.DISABLE_AUTH !== "true";
  if (generated) settings.HMAC_SHARED_SECRET = developmentSecret();
  // The operator console (/console) signs in with this token; one is made for local use.
  settings.CONSOLE_TOKEN ||= developmentSecret("console-token");
  // CLIP_AUDIO_ENGINE: docker, process, or auto (docker where scripts/docker/prepare.sh has readied it).
  const { mode: engineIn, notice } = await chooseEngine(process.env.CLIP_AUDIO_ENGINE, settings);
  if (notice) console.warn(notice);
  // The demo clips (made at first start, in a few seconds) are served while the stack starts,
  // where the engine can reach them: on the host, or at the bridge gateway for an engine in Docker.
  const demo = await startDemo({
    dir: join(DATA_DIR, "demo"),
    port: port("DEMO_PORT", 8791),
    ...(engineIn === "docker" ? { host: DOCKER_HOST_ADDRESS } : {}),
  });
  settings.DEMO_SOURCE_URL ??= demo.url;

  const color = process.stdout.isTTY;
  const stack = await startStack({
    engine: engineIn,
    offlineImage: process.env.CLIP_AUDIO_OFFLINE_IMAGE !== "0",
    ports: {
      worker: port("WORKER_PORT", 8787),
      container: port("CONTAINER_PORT", 8790),
      bucket: port("BUCKET_PORT", 4568),
      inspector: port("INSPECTOR_PORT", 9230),
    },
    env: settings,
    dataDir: DATA_DIR,
    log: (name, line) => {
      const tag = `[${name}]`.padEnd(12);
      console.log(color ? `${COLORS[name]}${tag}\x1b[0m ${line}` : `${tag} ${line}`);
    },
  });

  const timelines = await demo?.ready.catch(async (error: unknown) => {
    await stack.stop();
    throw error;
  });
  // In Docker the engine starts with the first job; its yt-dlp is the image's.
  const engine =
    engineIn === "process" ? EngineHealth.parse(await (await fetch(`${stack.urls.engine}/health`)).json()) : null;
  console.log(`
clip-audio is running
  API        ${stack.urls.worker}   (also under /api)
  console    ${stack.urls.worker}/console   operator token: ${settings.CONSOLE_TOKEN}
  engine     ${stack.urls.engine}
  ${engine ? `${describeYtDlp(engine.yt_dlp, new Date())}${engine.yt_dlp_warning ? ": too old for real Twitch clips, fine for local ones (README, 'Updating yt-dlp')" : ""}` : "the Dockerfile's image under Docker, started by the AudioEngine class on the first job"}
  bucket     ${stack.urls.bucket}   (s3rver, a local S3 test double; objects in .dev-data/bucket)
  clips from ${stack.env.CLIP_SOURCE_URL_TEMPLATE ?? DEFAULT_CLIP_SOURCE_URL_TEMPLATE}
${demo ? `  demo- ids  ${settings.DEMO_SOURCE_URL}/<id>   (demo clips made in .dev-data/demo; DEMO_SOURCE_URL)\n` : ""}${generated ? `\nHMAC_SHARED_SECRET was not set: generated one in .dev-data/hmac-secret.\n` : ""}
${
  timelines
    ? tryItText({
        workerUrl: stack.urls.worker,
        bucketUrl: stack.urls.bucket,
        bucket: stack.env.R2_BUCKET ?? DEFAULT_BUCKET,
        bucketDir: ".dev-data/bucket",
        timelines,
        generatedSecret: generated,
      })
    : `The engine runs in Docker as deployed: real clip ids only (no demo clips; CLIP_AUDIO_ENGINE=process has them).
  curl ${stack.urls.worker}/health`
}

Ctrl-C stops everything.`);

  let stopping = false;
  const shutdown = async () => {
    if (stopping) return;
    stopping = true;
    console.log("\nstopping…");
    await stack.stop();
    process.exit(0);
  };
  process.on("SIGINT", shutdown);
  process.on("SIGTERM", shutdown);

  // If any process dies on its own, stop the rest rather than run half a service.
  const first = await Promise.race(
    Object.entries(stack.processes).flatMap(([name, child]) => (child ? [child.then(() => name)] : [])),
  );
  if (!stopping) {
    console.error(`\n${first} exited unexpectedly; stopping the others.`);
    await stack.stop();
    process.exit(1);
  }
}

main().catch((error: unknown) => {
  const known = error instanceof PortInUseError || error instanceof EngineSettingsError;
  console.error(known ? `\n${error.message}` : error);
  process.exit(1);
});
