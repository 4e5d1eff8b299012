/** LOG_LEVEL in the Worker's configuration (the level filter itself: shared/log.test.ts). */
import { env } from "cloudflare:workers";
import { expect, it } from "vitest";
import { loadConfig } from "../src/config.ts";

it("takes LOG_LEVEL from the configuration and refuses an unknown level by name", () => {
  const loud = loadConfig({ ...env, LOG_LEVEL: "loud" });
  expect(loud).toEqual({ ok: false, problem: 'Invalid configuration: LOG_LEVEL="loud": expected info, warn or error' });
  const quiet = loadConfig({ ...env, LOG_LEVEL: "error" });
  expect(quiet.ok && quiet.config.LOG_LEVEL).toBe("error");
});
