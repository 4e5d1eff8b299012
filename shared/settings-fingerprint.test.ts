/**
 * The settings fingerprint both sides compute (Worker: from the env it forwards; engine: from its
 * own process environment): equal for the same engine settings whatever else either side holds,
 * different when any one engine setting differs. The fixed vector is asserted in workerd too
 * (worker/test/engine-settings.test.ts), so both runtimes are seen to agree.
 */
import { describe, expect, it } from "vitest";
import { ENGINE_ENV_NAMES, pickEnv } from "./config.ts";
import { engineSettingsFingerprint, sameFingerprint } from "./settings-fingerprint.ts";

/**
 * A fixed environment and its fingerprint, computed independently with Python's hashlib:
 * sha256(json.dumps(["engine-settings-v1", [["ENVIRONMENT", "production"],
 * ["HMAC_SHARED_SECRET", "s"], ["R2_BUCKET", "b"]]], separators=(",", ":"))).
 */
const VECTOR_ENV = { HMAC_SHARED_SECRET: "s", ENVIRONMENT: "production", R2_BUCKET: "b" };
const VECTOR_FINGERPRINT = "187269c8ff3d5b295df85c64d509e2f15ce1bd32996889f680616e92360090b3";

/** What the Worker has: engine settings, its own settings, bindings (objects), empty values. */
const WORKER_ENV = {
  ENVIRONMENT: "production",
  HMAC_SHARED_SECRET: "current-secret",
  R2_BUCKET: "clip-recap-assets",
  CLOUDFLARE_ACCOUNT_ID: "0123456789abcdef",
  R2_ACCESS_KEY_ID: "key-id",
  R2_SECRET_ACCESS_KEY: "secret-key",
  JOB_CONCURRENCY: "3",
  SOURCE_HOSTS: "",
  RATE_LIMIT_REQUESTS: "10",
  CALLBACK_HOSTS: "",
  CANARY_CLIP_ID: "",
};

describe("engineSettingsFingerprint", () => {
  it("is the same on both sides of the seam for the same settings", async () => {
    // What the container starts with: the forwarded settings (worker/src/engine.ts engineEnvVars
    // is pickEnv over ENGINE_ENV_NAMES), plus the image's ENV and the platform's own variables
    // (Cloudflare Containers docs, "Environment variables"), none of them an engine setting.
    const containerEnv = {
      ...pickEnv(WORKER_ENV, ENGINE_ENV_NAMES),
      PORT: "8080",
      HOST: "0.0.0.0",
      WORK_DIR: "/tmp/clip-audio",
      NODE_OPTIONS: "--max-semi-space-size=1",
      PATH: "/usr/local/bin:/usr/bin",
      CLOUDFLARE_APPLICATION_ID: "app",
      CLOUDFLARE_COUNTRY_A2: "DE",
      CLOUDFLARE_LOCATION: "fra",
      CLOUDFLARE_REGION: "EEUR",
      CLOUDFLARE_DURABLE_OBJECT_ID: "do-id",
    };
    const worker = await engineSettingsFingerprint({ ...WORKER_ENV, BUCKET: {} } as never);
    const engine = await engineSettingsFingerprint(containerEnv);
    expect(engine).toBe(worker);
    expect(worker).toMatch(/^[0-9a-f]{64}$/);
  });

  it("does not depend on the order the names come in", async () => {
    const reversed = Object.fromEntries(Object.entries(WORKER_ENV).reverse());
    expect(await engineSettingsFingerprint(reversed)).toBe(await engineSettingsFingerprint(WORKER_ENV));
  });

  it("changes with any one engine setting: changed, added or removed", async () => {
    const base = await engineSettingsFingerprint(WORKER_ENV);
    const seen = new Set([base]);
    for (const name of ENGINE_ENV_NAMES) {
      const changed = await engineSettingsFingerprint({ ...WORKER_ENV, [name]: `other-${name}` });
      expect(seen.has(changed), name).toBe(false);
      seen.add(changed);
    }
    expect(await engineSettingsFingerprint({ ...WORKER_ENV, R2_SECRET_ACCESS_KEY: "" })).not.toBe(base);
  });

  it("cannot be fooled by moving text between a name and its value", async () => {
    const a = await engineSettingsFingerprint({ R2_BUCKET: "a", STORE_VIDEO: "b" });
    const b = await engineSettingsFingerprint({ R2_BUCKET: 'a","STORE_VIDEO', STORE_VIDEO: "" });
    expect(a).not.toBe(b);
  });

  it("matches the fixed vector (asserted in workerd too)", async () => {
    expect(await engineSettingsFingerprint(VECTOR_ENV)).toBe(VECTOR_FINGERPRINT);
  });
});

describe("sameFingerprint", () => {
  it("is true only for identical strings", () => {
    expect(sameFingerprint("abc", "abc")).toBe(true);
    expect(sameFingerprint("abc", "abd")).toBe(false);
    expect(sameFingerprint("abc", "ab")).toBe(false);
    expect(sameFingerprint("", "a")).toBe(false);
  });
});
