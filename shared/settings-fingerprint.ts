/**
 * A fingerprint of the engine's settings, the same function on both sides (Web Crypto: the
 * Worker and Node have it). A running container keeps the environment it started with, so a
 * setting changed since (a rotated HMAC_SHARED_SECRET, new bucket keys) never reaches it. The
 * Worker sends the fingerprint of the settings it would start the engine with; an engine that
 * started with others answers 409 and the Worker restarts that instance (worker/src/engine-restart.ts).
 */
import { ENGINE_ENV_NAMES, pickEnv, type RawEnv } from "./config.ts";

/** Request header: the fingerprint of the engine settings the Worker has. */
export const ENGINE_SETTINGS_HEADER = "X-Engine-Settings";
/** Response header of the engine's 409, so that no other 409 is taken for a settings mismatch. */
export const SETTINGS_MISMATCH_HEADER = "X-Engine-Settings-Mismatch";

/**
 * SHA-256 (hex) over the engine settings set in `env` (the names the engine's schema declares,
 * non-empty values, as `pickEnv` forwards them), sorted by name. The text hashed is JSON, so no
 * name or value can be mistaken for a separator. It covers secrets: it is sent only on the
 * internal hop from the Worker to its container, never logged, and never echoed back.
 */
export async function engineSettingsFingerprint(env: RawEnv): Promise<string> {
  const settings = Object.entries(pickEnv(env, ENGINE_ENV_NAMES)).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  const text = JSON.stringify(["engine-settings-v1", settings]);
  const digest = await crypto.subtle.digest("SHA-256", new TextEncoder().encode(text));
  return Array.from(new Uint8Array(digest), (byte) => byte.toString(16).padStart(2, "0")).join("");
}

/** Compares two fingerprints in time independent of where they differ. */
export function sameFingerprint(a: string, b: string): boolean {
  let diff = a.length ^ b.length;
  for (let i = 0; i < Math.max(a.length, b.length); i++) diff |= (a.charCodeAt(i) || 0) ^ (b.charCodeAt(i) || 0);
  return diff === 0;
}
