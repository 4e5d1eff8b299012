/**
 * The Worker's checks of the engine settings it forwards to the Container (`AudioEngine`'s
 * envVars): whether the engine would refuse to start for want of bucket credentials, and the
 * fingerprint sent with each job so that an engine started with older settings says so (409)
 * and is restarted (./engine-restart.ts). A host process behind CONTAINER_URL has its own
 * settings, which the Worker neither forwards nor can restart: neither check applies to it.
 */
import { bucketCredentialsProblem } from "../../shared/bucket-credentials.ts";
import { ENVIRONMENT_VARS, pickEnv, type RawEnv } from "../../shared/config.ts";
import { ClipAudioError } from "../../shared/errors.ts";
import {
  ENGINE_SETTINGS_HEADER,
  engineSettingsFingerprint,
  SETTINGS_MISMATCH_HEADER,
} from "../../shared/settings-fingerprint.ts";
import type { WorkerConfig } from "./config.ts";

/**
 * Why a Container engine given these settings cannot serve (production without bucket
 * credentials); null when it can or the engine is a host process. Production is the Worker's
 * own judgement (any of its environment words), which covers the engine's: the engine hears only
 * ENVIRONMENT, and an engine not told production would write to its own disk in silence.
 */
export function engineSettingsProblem(env: object, config: WorkerConfig): string | null {
  if (config.CONTAINER_URL) return null;
  return bucketCredentialsProblem(pickEnv(env as RawEnv, ENVIRONMENT_VARS), config);
}

/** One fingerprint per env object (per isolate and version): the settings do not change under it. */
const fingerprints = new WeakMap<object, Promise<string>>();

export function settingsFingerprint(env: object): Promise<string> {
  let fingerprint = fingerprints.get(env);
  if (!fingerprint) {
    fingerprint = engineSettingsFingerprint(env as RawEnv);
    fingerprints.set(env, fingerprint);
  }
  return fingerprint;
}

/**
 * The headers a job request to a Container carries: the settings fingerprint. A job is refused
 * here, at once and for good (`storage_misconfigured`), when the engine would not start: three
 * attempts of a container that exits at start would only say `container_unavailable`.
 */
export async function engineSettingsHeaders(env: object, config: WorkerConfig): Promise<Record<string, string>> {
  if (config.CONTAINER_URL) return {};
  const problem = engineSettingsProblem(env, config);
  if (problem) throw new ClipAudioError("storage_misconfigured", `The media engine cannot run: ${problem}`);
  return { [ENGINE_SETTINGS_HEADER]: await settingsFingerprint(env) };
}

/** The engine's 409 for settings it did not start with (container/src/settings-check.ts). */
export function isSettingsMismatch(response: Response): boolean {
  return response.status === 409 && response.headers.get(SETTINGS_MISMATCH_HEADER) === "true";
}
