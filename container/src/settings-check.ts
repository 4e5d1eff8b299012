/**
 * The engine's side of the settings fingerprint (shared/settings-fingerprint.ts): a job request
 * whose `X-Engine-Settings` differs from the fingerprint of the settings this process started
 * with is refused with 409, before HMAC authentication, because the usual mismatch is a rotated
 * HMAC_SHARED_SECRET, which would otherwise read as a 401 and hide the cause. Nothing is
 * echoed: neither fingerprint is in the answer or the log. A request without the header (the
 * host process behind CONTAINER_URL, which the Worker cannot restart) is not checked.
 */
import type { MiddlewareHandler } from "hono";
import { log } from "../../shared/log.ts";
import {
  ENGINE_SETTINGS_HEADER,
  SETTINGS_MISMATCH_HEADER,
  sameFingerprint,
} from "../../shared/settings-fingerprint.ts";

export const SETTINGS_MISMATCH_DETAIL =
  "The engine runs with other settings than the Worker has (a setting or secret changed since it started); " +
  "this engine instance must be restarted to take them";

export function settingsCheck(fingerprint: string | undefined): MiddlewareHandler {
  return async (c, next) => {
    const sent = c.req.header(ENGINE_SETTINGS_HEADER);
    if (fingerprint !== undefined && sent !== undefined && !sameFingerprint(sent, fingerprint)) {
      log("warn", { msg: "job refused: settings differ from the Worker's", path: c.req.path });
      c.header(SETTINGS_MISMATCH_HEADER, "true");
      return c.json({ detail: SETTINGS_MISMATCH_DETAIL }, 409);
    }
    await next();
  };
}
