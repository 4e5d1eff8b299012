/**
 * The seam to the media engine. In production the engine runs in a Cloudflare Container
 * (`AudioEngine`, reached through its Durable Object binding), and so it does under
 * `wrangler dev` with Docker (`npm start` where Docker is readied, the container test tier).
 * Without Docker (most tests, `npm start` elsewhere) it is a process on the host at
 * CONTAINER_URL. This module alone decides.
 */
import { Container } from "@cloudflare/containers";
import { ENGINE_ENV_NAMES, pickEnv, type RawEnv } from "../../shared/config.ts";
import { ClipAudioError } from "../../shared/errors.ts";
import { signRequest } from "../../shared/hmac.ts";
import {
  ENGINE_INSTANCES,
  ENGINE_ROUTES,
  type FinalJobEvent,
  HEARTBEAT_SECONDS,
  type JobEvent,
  type JobRequestInput,
  JobStreamLine,
} from "../../shared/job.ts";
import { lines } from "../../shared/lines.ts";
import { EngineHealth } from "../../shared/schemas.ts";
import { ENGINE_SETTINGS_HEADER } from "../../shared/settings-fingerprint.ts";
import type { WorkerConfig } from "./config.ts";
import { noteEngineStart, type RestartOutcome, restartError, restartForSettings } from "./engine-restart.ts";
import { engineSettingsHeaders, isSettingsMismatch } from "./engine-settings.ts";
import { withExtractorBuild } from "./extractor-build.ts";
import { knownNew } from "./known-new.ts";
import { log } from "./log.ts";

/** An idle engine stops after this long: clips come in bursts after streams end. */
const ENGINE_SLEEP_AFTER = "10m";
/** A health probe that takes longer than this counts as "engine unavailable". */
const HEALTH_TIMEOUT_MS = 3_000;

/** The engine's settings as the Worker has them: every name the engine's schema declares. */
export function engineEnvVars(env: object): Record<string, string> {
  return pickEnv(env as RawEnv, ENGINE_ENV_NAMES);
}

export class AudioEngine extends Container<Env> {
  override defaultPort = 8080;
  override sleepAfter = ENGINE_SLEEP_AFTER;
  /**
   * Open egress, no interception. Every request the engine makes is HTTPS (Twitch's GQL API,
   * usher, the clip and VOD CDNs, R2's S3 endpoint); an allowlist would only hold with TLS
   * interception, which needs Cloudflare's CA trusted by Node, Python and ffmpeg alike, and
   * Twitch's CDN hosts include `*.cloudfront.net`, which admits any CloudFront customer anyway.
   * What the engine fetches is fenced where it is chosen instead: clip ids are validated, other
   * URLs must be on SOURCE_HOSTS (README, "Egress").
   */
  override enableInternet = true;
  override envVars = engineEnvVars(this.env);

  /** RPC: the engine refused a job for its settings; restart it with the current ones (./engine-restart.ts). */
  async restartForSettings(fingerprint: string): Promise<RestartOutcome> {
    return restartForSettings(this.#instance(), fingerprint);
  }

  override async onStart(): Promise<void> {
    await noteEngineStart(this.#instance());
  }

  #instance() {
    const running = () => this.ctx.container?.running ?? false;
    return { storage: this.ctx.storage, envVars: this.envVars ?? {}, running, stop: () => this.stop("SIGTERM") };
  }

  /**
   * The library stops an instance once nobody has talked to it for `sleepAfter`. A job the
   * engine still runs (its follower may be between alarms) keeps it up.
   */
  override async onActivityExpired(): Promise<void> {
    const probe = { signal: AbortSignal.timeout(HEALTH_TIMEOUT_MS) };
    const health = await this.containerFetch(`http://engine${ENGINE_ROUTES.health}`, probe).then(
      async (response) => (response.ok ? EngineHealth.parse(await response.json()) : null),
      () => null,
    );
    if (health && health.active_jobs > 0) {
      log("info", { msg: "engine idle but busy: kept running", active_jobs: health.active_jobs });
      this.renewActivityTimeout();
      return;
    }
    await this.stop();
  }
}

export interface EngineEnv {
  ENGINE: DurableObjectNamespace<AudioEngine>;
}

/** Which engine instance serves a clip: always the same one, so its jobs coalesce there. */
function instanceFor(clipId: string): string {
  let hash = 0;
  for (const char of clipId) hash = (hash * 31 + char.charCodeAt(0)) >>> 0;
  return `engine-${hash % ENGINE_INSTANCES}`;
}

/** The Durable Object of the engine instance that serves `clipId`. */
function engineInstance(env: EngineEnv, clipId: string) {
  return env.ENGINE.get(env.ENGINE.idFromName(instanceFor(clipId)));
}

export function engineFetch(
  env: EngineEnv,
  config: WorkerConfig,
  path: string,
  init: RequestInit,
  clipId = "",
): Promise<Response> {
  if (config.CONTAINER_URL) return fetch(`${config.CONTAINER_URL.replace(/\/+$/, "")}${path}`, init);
  return engineInstance(env, clipId).fetch(new Request(`http://engine${path}`, init));
}

/**
 * How a stream of a job ended for its follower. `released`: the engine let go at the request's
 * `follow_seconds`, the job runs on. `detached`: the stream broke or went quiet without a final
 * event (a Durable Object reset, a lost connection, an engine killed under the job); the engine
 * may still run the job, so a `follow` request re-attaches to it, and this is no failed attempt.
 */
export type EngineOutcome =
  | { kind: "ended"; event: FinalJobEvent }
  | { kind: "released" }
  | { kind: "detached"; reason: string };

/** A stream with no line (not even a heartbeat) for this long has been lost. */
const SILENCE_LIMIT_MS = 3 * HEARTBEAT_SECONDS * 1000;
/** The answer to a job request may wait for a cold container to start. */
const START_LIMIT_MS = 120_000;

/**
 * Runs one job on the engine (or follows the one running), calling `onEvent` for each event.
 * The engine ends the stream itself (`follow_seconds`); the Worker aborts it only when it has
 * gone silent past three heartbeats. An engine that cannot be reached is a retryable
 * `container_unavailable` failure, one that is draining `engine_restarting`.
 */
export async function runEngineJob(
  env: EngineEnv & { BUCKET: R2Bucket },
  config: WorkerConfig,
  request: JobRequestInput,
  onEvent: (event: JobEvent) => void | Promise<void>,
): Promise<EngineOutcome> {
  // Two lookups at once, one round trip each: the yt-dlp build to run, and whether the clip is new.
  const [withBuild, isNew] = await Promise.all([withExtractorBuild(env, request), knownNew(env, config, request)]);
  const body = JSON.stringify(isNew ? { ...withBuild, known_new: true } : withBuild);
  const silence = new SilenceWatch(START_LIMIT_MS);
  try {
    const response = await startJob(env, config, request.clip_id, body, silence.signal);
    silence.heard(SILENCE_LIMIT_MS);
    for await (const line of lines(response.body)) {
      silence.heard(SILENCE_LIMIT_MS);
      const parsed = streamLine(line);
      if (!parsed || parsed.type === "heartbeat") continue;
      if (parsed.type === "released") return { kind: "released" };
      await onEvent(parsed);
      if (parsed.type === "completed" || parsed.type === "failed") return { kind: "ended", event: parsed };
    }
    return { kind: "detached", reason: "the stream ended without a result" };
  } catch (error) {
    if (error instanceof ClipAudioError) throw error;
    const reason = silence.signal.aborted
      ? `no word from the engine for ${silence.limitMs / 1000} s`
      : `the stream broke: ${(error as Error).message}`;
    return { kind: "detached", reason };
  } finally {
    silence.stop();
  }
}

/** One line of the stream; null for a blank line or a line type this Worker does not know yet. */
function streamLine(line: string): JobStreamLine | null {
  if (!line.trim()) return null;
  let raw: unknown;
  try {
    raw = JSON.parse(line);
  } catch {
    throw new ClipAudioError(
      "container_unavailable",
      `The media engine sent a line that is not JSON: ${line.slice(0, 100)}`,
    );
  }
  const parsed = JobStreamLine.safeParse(raw);
  if (parsed.success) return parsed.data;
  const type = (raw as { type?: unknown })?.type;
  // A newer engine (the image rolls out after the Worker) may say more: skip what is unknown.
  if (typeof type === "string" && !KNOWN_LINE_TYPES.has(type)) return null;
  throw new ClipAudioError("container_unavailable", `The media engine sent a malformed line: ${parsed.error.message}`);
}

const KNOWN_LINE_TYPES: ReadonlySet<string> = new Set(JobStreamLine.options.map((option) => option.shape.type.value));

/** Aborts when nothing was heard for the last `limitMs` given. */
class SilenceWatch {
  readonly #controller = new AbortController();
  #timer: ReturnType<typeof setTimeout> | undefined;
  limitMs = 0;

  constructor(limitMs: number) {
    this.heard(limitMs);
  }

  get signal(): AbortSignal {
    return this.#controller.signal;
  }

  heard(limitMs: number): void {
    this.stop();
    this.limitMs = limitMs;
    this.#timer = setTimeout(() => this.#controller.abort(), limitMs);
  }

  stop(): void {
    if (this.#timer !== undefined) clearTimeout(this.#timer);
  }
}

async function startJob(
  env: EngineEnv,
  config: WorkerConfig,
  clipId: string,
  body: string,
  signal: AbortSignal,
): Promise<Response & { body: ReadableStream<Uint8Array> }> {
  let response: Response;
  // Outside the try: a Container engine that would refuse to start fails the job at once.
  const settings = await engineSettingsHeaders(env, config);
  try {
    const headers = {
      "content-type": "application/json",
      ...(await signRequest(config.HMAC_SHARED_SECRET ?? "", body)),
      ...settings,
    };
    response = await engineFetch(env, config, ENGINE_ROUTES.jobs, { method: "POST", body, headers, signal }, clipId);
  } catch (error) {
    throw new ClipAudioError(
      "container_unavailable",
      `The media engine could not be reached: ${(error as Error).message}`,
    );
  }
  if (isSettingsMismatch(response)) {
    await response.body?.cancel();
    throw restartError(await engineInstance(env, clipId).restartForSettings(settings[ENGINE_SETTINGS_HEADER] ?? ""));
  }
  if (!response.ok || !response.body) {
    const detail = await response.text().catch(() => "");
    const said = engineSaid(detail);
    if (response.status === 503 && said?.code === "engine_restarting") {
      throw new ClipAudioError("engine_restarting", `The media engine is restarting: ${said.detail}`);
    }
    // The Container class's own answer when the container went away under the request.
    if (response.status === 500 && detail.startsWith(CONTAINER_GONE)) {
      throw new ClipAudioError(
        "engine_restarting",
        `The media engine's container disconnected: ${detail.slice(0, 200)}`,
      );
    }
    throw new ClipAudioError(
      "container_unavailable",
      `The media engine answered HTTP ${response.status}${detail ? `: ${detail.slice(0, 200)}` : ""}`,
    );
  }
  return response as Response & { body: ReadableStream<Uint8Array> };
}

/** How @cloudflare/containers answers when the container disconnects mid-request (e.g. it just exited). */
const CONTAINER_GONE = "Container suddenly disconnected";

/** The engine's JSON error body ({detail, code}), or null. */
function engineSaid(text: string): { detail?: string; code?: string } | null {
  try {
    return JSON.parse(text) as { detail?: string; code?: string };
  } catch {
    return null;
  }
}

/** The engine's health, or null when it does not answer quickly. */
export async function engineHealth(env: EngineEnv, config: WorkerConfig): Promise<EngineHealth | null> {
  try {
    const response = await engineFetch(env, config, ENGINE_ROUTES.health, {
      signal: AbortSignal.timeout(HEALTH_TIMEOUT_MS),
    });
    return response.ok ? EngineHealth.parse(await response.json()) : null;
  } catch {
    return null;
  }
}
