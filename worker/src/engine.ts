/**
 * The seam to the media engine. In production the engine runs in a Cloudflare Container
 * (`AudioEngine`, reached through its Durable Object binding); locally and in tests, where
 * there is no Docker, it is a process on the host at CONTAINER_URL. This module alone decides.
 */
import { Container } from "@cloudflare/containers";
import { ClipAudioError } from "../../shared/errors.ts";
import { signRequest } from "../../shared/hmac.ts";
import { CONTAINER_ROUTES, JobEvent, type JobRequest } from "../../shared/job.ts";
import { ContainerHealth } from "../../shared/schemas.ts";
import type { WorkerConfig } from "./config.ts";

/** An idle engine stops after this long: clips come in bursts after streams end. */
const ENGINE_SLEEP_AFTER = "10m";
/** Engine instances jobs are spread over; keep equal to max_instances in wrangler.toml. */
const ENGINE_INSTANCES = 4;
/** A health probe that takes longer than this counts as "engine unavailable". */
const HEALTH_TIMEOUT_MS = 3_000;

export class AudioEngine extends Container<Env> {
  override defaultPort = 8080;
  override sleepAfter = ENGINE_SLEEP_AFTER;
  // The engine needs only Twitch (pages, clip and video CDNs) and the bucket's S3 endpoint.
  override enableInternet = false;
  override allowedHosts = [
    "clips.twitch.tv",
    "www.twitch.tv",
    "gql.twitch.tv",
    "usher.ttvnw.net",
    "*.ttvnw.net",
    "production.assets.clips.twitchcdn.net",
    "*.twitchcdn.net",
    "*.cloudfront.net",
    "*.r2.cloudflarestorage.com",
  ];

  // What the engine process reads (shared/config.ts names); secrets come from `wrangler secret`.
  override envVars = {
    HMAC_SHARED_SECRET: this.env.HMAC_SHARED_SECRET ?? "",
    CLOUDFLARE_ACCOUNT_ID: this.env.CLOUDFLARE_ACCOUNT_ID ?? "",
    R2_ACCESS_KEY_ID: this.env.R2_ACCESS_KEY_ID ?? "",
    R2_SECRET_ACCESS_KEY: this.env.R2_SECRET_ACCESS_KEY ?? "",
    R2_BUCKET: this.env.R2_BUCKET,
    AUDIO_SAMPLE_RATE: this.env.AUDIO_SAMPLE_RATE,
    AUDIO_CHANNELS: this.env.AUDIO_CHANNELS,
    MAX_CLIP_DURATION: this.env.MAX_CLIP_DURATION,
    STORE_VIDEO: this.env.STORE_VIDEO,
    CLIP_SOURCE_URL_TEMPLATE: this.env.CLIP_SOURCE_URL_TEMPLATE,
  };
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

function engineFetch(
  env: EngineEnv,
  config: WorkerConfig,
  path: string,
  init: RequestInit,
  clipId = "",
): Promise<Response> {
  if (config.CONTAINER_URL) return fetch(`${config.CONTAINER_URL.replace(/\/+$/, "")}${path}`, init);
  return env.ENGINE.get(env.ENGINE.idFromName(instanceFor(clipId))).fetch(new Request(`http://engine${path}`, init));
}

async function* ndjson(body: ReadableStream<Uint8Array>): AsyncGenerator<unknown> {
  const reader = body.pipeThrough(new TextDecoderStream()).getReader();
  let pending = "";
  for (;;) {
    const { value, done } = await reader.read();
    if (done) break;
    pending += value;
    const lines = pending.split("\n");
    pending = lines.pop() ?? "";
    for (const line of lines) if (line.trim()) yield JSON.parse(line);
  }
  if (pending.trim()) yield JSON.parse(pending);
}

/**
 * Runs one job on the engine, calling `onEvent` for each event, and returns the final one
 * (`completed` or `failed`). An engine that cannot be reached or ends the stream early is a
 * retryable `container_unavailable` failure.
 */
export async function runEngineJob(
  env: EngineEnv,
  config: WorkerConfig,
  request: JobRequest,
  onEvent: (event: JobEvent) => void | Promise<void>,
): Promise<Extract<JobEvent, { type: "completed" | "failed" }>> {
  const body = JSON.stringify(request);
  let response: Response;
  try {
    const headers = {
      "content-type": "application/json",
      ...(await signRequest(config.HMAC_SHARED_SECRET ?? "", body)),
    };
    response = await engineFetch(
      env,
      config,
      CONTAINER_ROUTES.jobs,
      { method: "POST", body, headers },
      request.clip_id,
    );
  } catch (error) {
    throw new ClipAudioError(
      "container_unavailable",
      `The media engine could not be reached: ${(error as Error).message}`,
    );
  }
  if (!response.ok || !response.body) {
    throw new ClipAudioError("container_unavailable", `The media engine answered HTTP ${response.status}`);
  }
  try {
    for await (const raw of ndjson(response.body)) {
      const event = JobEvent.parse(raw);
      await onEvent(event);
      if (event.type === "completed" || event.type === "failed") return event;
    }
  } catch (error) {
    if (error instanceof ClipAudioError) throw error;
    throw new ClipAudioError("container_unavailable", `The media engine stopped mid-job: ${(error as Error).message}`);
  }
  throw new ClipAudioError("container_unavailable", "The media engine ended the job without a result");
}

export async function cancelEngineJob(env: EngineEnv, config: WorkerConfig, clipId: string): Promise<void> {
  const headers = await signRequest(config.HMAC_SHARED_SECRET ?? "", "");
  await engineFetch(env, config, CONTAINER_ROUTES.job(clipId), { method: "DELETE", headers }, clipId).catch(
    () => undefined,
  );
}

/** The engine's health, or null when it does not answer quickly. */
export async function engineHealth(env: EngineEnv, config: WorkerConfig): Promise<ContainerHealth | null> {
  try {
    const response = await engineFetch(env, config, CONTAINER_ROUTES.health, {
      signal: AbortSignal.timeout(HEALTH_TIMEOUT_MS),
    });
    return response.ok ? ContainerHealth.parse(await response.json()) : null;
  } catch {
    return null;
  }
}
