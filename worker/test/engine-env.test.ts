/**
 * What the Worker hands the Container as its environment: every engine setting the engine's
 * schema declares (so each one documented can be set in production), nothing else.
 */
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { ENGINE_ENV_NAMES } from "../../shared/config.ts";
import { KNOWN_SETTINGS } from "../src/config.ts";
import { engineEnvVars } from "../src/engine.ts";

describe("engineEnvVars", () => {
  it("forwards every name the engine's schema declares, and only those", () => {
    const everything = Object.fromEntries(ENGINE_ENV_NAMES.map((name) => [name, `value-of-${name}`]));
    const forwarded = engineEnvVars({ ...everything, RATE_LIMIT_REQUESTS: "5", CALLBACK_HOSTS: "x", BUCKET: {} });
    expect(Object.keys(forwarded).sort()).toEqual([...ENGINE_ENV_NAMES].sort());
    for (const name of [
      "JOB_CONCURRENCY",
      "CHUNK_SECONDS",
      "SOURCE_HOSTS",
      "MAX_SOURCE_DURATION",
      "UPLOAD_TIMEOUT_SECONDS",
    ]) {
      expect(forwarded[name]).toBe(`value-of-${name}`);
    }
  });

  it("leaves out empty values and bindings, so the engine's defaults apply", () => {
    // An empty var (`CHUNK_SECONDS = ""` in wrangler.toml) must not reach the engine as "";
    // a binding under an engine name (a real R2 bucket here) is not a value to pass on.
    const forwarded = engineEnvVars({ ...env, CHUNK_SECONDS: "", SOURCE_HOSTS: "", JOB_CONCURRENCY: env.BUCKET });
    expect(ENGINE_ENV_NAMES).toEqual(expect.arrayContaining(["CHUNK_SECONDS", "SOURCE_HOSTS", "JOB_CONCURRENCY"]));
    expect(forwarded).not.toHaveProperty("CHUNK_SECONDS");
    expect(forwarded).not.toHaveProperty("SOURCE_HOSTS");
    expect(forwarded).not.toHaveProperty("JOB_CONCURRENCY");
    expect(forwarded.HMAC_SHARED_SECRET).toBe("worker-test-secret");
  });

  it("knows every engine name as a setting (none would be reported as unknown)", () => {
    for (const name of ENGINE_ENV_NAMES) expect(KNOWN_SETTINGS).toContain(name);
  });
});
