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
  JobEvent,
  type JobRequestInput,
} from "../../shared/job.ts";
import { lines } from "../../shared/lines.ts";
import { EngineHealth } from "../../shared/schemas.ts";
import { ENGINE_SETTINGS_HEADER } from "../../shared/settings-fingerprint.ts";
import type { WorkerConfig } from "./config.ts";
import { noteEngineStart, type RestartOutcome, restartError, restartForSettings } from "./engine-restart.ts";
import { engineSettingsHeaders, isSettingsMismatch } from "./engine-settings.ts";
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

function engineFetch(
  env: EngineEnv,
  config: WorkerConfig,
  path: string,
  init: RequestInit,
  clipId = "",
): Promise<Response> {
  if (config.CONTAINER_URL) return fetch(`${config.CONTAINER_URL.replace(/\/+$/, "")}${path}`, init);
  return engineInstance(env, clipId).fetch(new Request(`http://engine${path}`, init));
}

async function* ndjson(body: ReadableStream<Uint8Array>): AsyncGenerator<unknown> {
  for await (const line of lines(body)) if (line.trim()) yield JSON.parse(line);
}

/**
 * Runs one job on the engine, calling `onEvent` for each event, and returns the final one
 * (`completed` or `failed`) — or null when `followForMs` passed first: the engine goes on with
 * the job, and a later call with `follow: true` picks it up again. An engine that cannot be
 * reached or ends the stream early is a retryable `container_unavailable` failure.
 */
export async function runEngineJob(
  env: EngineEnv,
  config: WorkerConfig,
  request: JobRequestInput,
  onEvent: (event: JobEvent) => void | Promise<void>,
  followForMs?: number,
): Promise<FinalJobEvent | null> {
  const body = JSON.stringify(request);
  const stop = new AbortController();
  const timer = followForMs === undefined ? undefined : setTimeout(() => stop.abort(), followForMs);
  try {
    const response = await startJob(env, config, request.clip_id, body, stop.signal);
    for await (const raw of ndjson(response.body)) {
      const event = JobEvent.parse(raw);
      await onEvent(event);
      if (event.type === "completed" || event.type === "failed") return event;
    }
  } catch (error) {
    if (stop.signal.aborted) return null;
    if (error instanceof ClipAudioError) throw error;
    throw new ClipAudioError("container_unavailable", `The media engine stopped mid-job: ${(error as Error).message}`);
  } finally {
    if (timer !== undefined) clearTimeout(timer);
  }
  if (stop.signal.aborted) return null;
  throw new ClipAudioError("container_unavailable", "The media engine ended the job without a result");
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
    if (signal.aborted) throw error;
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
    throw new ClipAudioError(
      "container_unavailable",
      `The media engine answered HTTP ${response.status}${detail ? `: ${detail.slice(0, 200)}` : ""}`,
    );
  }
  return response as Response & { body: ReadableStream<Uint8Array> };
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
