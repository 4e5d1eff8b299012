/**
 * Restarting an engine instance whose container runs with older settings than the Worker's.
 * A running container keeps the environment it started with; after `wrangler secret put` or a
 * deploy that changes a var, the Durable Object runs the new version but its container does not.
 * The engine answers such a job 409 (container/src/settings-check.ts); the Worker then calls
 * `AudioEngine.restartForSettings` over RPC, which sends the container SIGTERM (the engine
 * drains: running jobs finish, new ones are refused) so that the next start gets the new
 * envVars, and the job's attempt ends with `engine_restarting` (no attempt is counted).
 *
 * Idempotent under a storm of 409s (every clip of a burst gets one): the signal is sent once per
 * settings, remembered in the Durable Object's storage. And it cannot loop: a container that was
 * started with these very settings and still disagrees is not restarted again (something in the
 * container's own environment sets an engine setting); that is reported instead.
 */
import { ClipAudioError } from "../../shared/errors.ts";
import { engineSettingsFingerprint, sameFingerprint } from "../../shared/settings-fingerprint.ts";
import { log } from "./log.ts";

/** What `restartForSettings` did. */
export type RestartOutcome =
  /** SIGTERM sent (or the container had already stopped): the next start takes the new settings. */
  | "restarting"
  /** SIGTERM was already sent for these settings; the container is draining. */
  | "already_restarting"
  /** The caller runs other settings than this Durable Object (a deployment is rolling out). */
  | "caller_differs"
  /** The container was started with these settings and still disagrees: not restarted again. */
  | "persists";

/** What the Container class lends this module (its members are its own to call). */
export interface EngineInstance {
  storage: DurableObjectStorage;
  /** The environment the container is (re)started with. */
  envVars: Record<string, string>;
  running(): boolean;
  /** Sends SIGTERM. */
  stop(): Promise<void>;
}

/** The fingerprint of the settings the container was last started with. */
const STARTED_WITH = "engine-settings:started-with";
/** The fingerprint SIGTERM was sent for, until the next start. */
const STOPPING_FOR = "engine-settings:stopping-for";

/** Called from the Container's onStart: what the running container was given. */
export async function noteEngineStart(engine: EngineInstance): Promise<void> {
  const fingerprint = await engineSettingsFingerprint(engine.envVars);
  await engine.storage.put(STARTED_WITH, fingerprint);
  await engine.storage.delete(STOPPING_FOR);
}

/** The decision in flight per instance: calls are decided one after another (see below). */
const decisions = new WeakMap<DurableObjectStorage, Promise<unknown>>();

/**
 * Runs in the AudioEngine Durable Object; `sent` is the fingerprint the refused job carried.
 * A burst of refused jobs calls this many times at once, and input gates do not order calls
 * already running in the object: each waits for the previous decision, so one sees the other's
 * STOPPING_FOR and only the first sends the signal.
 */
export function restartForSettings(engine: EngineInstance, sent: string): Promise<RestartOutcome> {
  const previous = decisions.get(engine.storage) ?? Promise.resolve();
  const decision = previous.then(() => decide(engine, sent));
  decisions.set(
    engine.storage,
    decision.catch(() => undefined),
  );
  return decision;
}

async function decide(engine: EngineInstance, sent: string): Promise<RestartOutcome> {
  const own = await engineSettingsFingerprint(engine.envVars);
  if (!sameFingerprint(sent, own)) return "caller_differs";
  const [startedWith, stoppingFor] = await Promise.all([
    engine.storage.get<string>(STARTED_WITH),
    engine.storage.get<string>(STOPPING_FOR),
  ]);
  if (stoppingFor === own) return "already_restarting";
  if (startedWith === own) {
    log("error", { msg: "engine settings still differ after a restart: not restarting again" });
    return "persists";
  }
  if (!engine.running()) return "restarting";
  await engine.storage.put(STOPPING_FOR, own);
  log("warn", { msg: "engine started with older settings: stopping it (SIGTERM) to restart with the current ones" });
  await engine.stop();
  return "restarting";
}

/** How a job's attempt ends once the engine refused it for its settings. */
export function restartError(outcome: RestartOutcome): ClipAudioError {
  switch (outcome) {
    case "restarting":
    case "already_restarting":
      return new ClipAudioError(
        "engine_restarting",
        "The media engine was started with older settings (a setting or secret changed): it is restarting with the current ones",
      );
    case "caller_differs":
      return new ClipAudioError(
        "engine_restarting",
        "The media engine and this Worker run different versions of the settings (a deployment is rolling out)",
      );
    case "persists":
      return new ClipAudioError(
        "container_unavailable",
        "The media engine's settings still differ from the Worker's after a restart: something in the container's " +
          "own environment sets an engine setting (the image's ENV?), so restarting cannot help",
      );
  }
}
