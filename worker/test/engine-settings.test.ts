/**
 * The Worker's side of the engine settings (issue 20, point 5), in workerd:
 * - /health says why in production when the settings forwarded to the Container engine lack
 *   bucket credentials (503, `problems`, `r2_configured: false`), and such an engine's jobs fail
 *   at once with `storage_misconfigured` instead of starting a container that exits;
 * - the settings fingerprint computed here equals Node's (the fixed vector of
 *   shared/settings-fingerprint.test.ts) and the real engine process answers it with the 409
 *   the Worker takes for a settings mismatch;
 * - the restart decision of `AudioEngine.restartForSettings`: the pool runs no containers (and
 *   the AudioEngine class cannot be constructed without one), so it runs here against a real
 *   Durable Object's storage with the container's running flag and SIGTERM RECORDED, not
 *   imitated; the real container and its restart are the container tier's
 *   (test/container/settings.test.ts).
 */
import { runInDurableObject } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { describe, expect, inject, it } from "vitest";
import { ClipAudioError } from "../../shared/errors.ts";
import { signRequest } from "../../shared/hmac.ts";
import type { Health } from "../../shared/schemas.ts";
import { ENGINE_SETTINGS_HEADER } from "../../shared/settings-fingerprint.ts";
import { app } from "../src/app.ts";
import { loadConfig } from "../src/config.ts";
import { runEngineJob } from "../src/engine.ts";
import { type EngineInstance, noteEngineStart, restartError, restartForSettings } from "../src/engine-restart.ts";
import { engineSettingsHeaders, isSettingsMismatch, settingsFingerprint } from "../src/engine-settings.ts";
import { newClientIp, SECRET } from "./helpers.ts";

/** Production with a Container engine (no CONTAINER_URL) and no bucket settings at all. */
const PRODUCTION_WITHOUT_KEYS = {
  ...env,
  ENVIRONMENT: "production",
  CONTAINER_URL: "",
  S3_ENDPOINT: "",
  CLOUDFLARE_ACCOUNT_ID: "",
  R2_ACCESS_KEY_ID: "visible-key-id",
  R2_SECRET_ACCESS_KEY: "",
};
const PRODUCTION_WITH_KEYS = {
  ...PRODUCTION_WITHOUT_KEYS,
  CLOUDFLARE_ACCOUNT_ID: "0123456789abcdef0123456789abcdef",
  R2_SECRET_ACCESS_KEY: "secret-access-key-value",
};

async function health(bindings: object) {
  const response = await app.fetch(
    new Request("http://worker/health", { headers: { "CF-Connecting-IP": newClientIp() } }),
    bindings,
  );
  return { status: response.status, body: (await response.json()) as Health };
}

describe("/health and the engine's bucket credentials", () => {
  it("is 503 in production when the settings forwarded to the engine lack them, naming which", async () => {
    const { status, body } = await health(PRODUCTION_WITHOUT_KEYS);
    expect(status).toBe(503);
    expect(body.status).toBe("unhealthy");
    expect(body.r2_configured).toBe(false);
    expect(body.problems).toHaveLength(1);
    expect(body.problems[0]).toContain(
      "the engine has no bucket credentials in production: CLOUDFLARE_ACCOUNT_ID (or S3_ENDPOINT), R2_SECRET_ACCESS_KEY not set",
    );
    expect(JSON.stringify(body)).not.toContain("visible-key-id");
  });

  it("takes the Worker's own word for production (the engine hears only ENVIRONMENT)", async () => {
    const { status, body } = await health({ ...PRODUCTION_WITHOUT_KEYS, ENVIRONMENT: "", NODE_ENV: "production" });
    expect(status).toBe(503);
    expect(body.problems[0]).toContain("R2_SECRET_ACCESS_KEY");
  });

  it("is healthy with them, and outside production or with a host engine without them", async () => {
    for (const bindings of [
      PRODUCTION_WITH_KEYS,
      { ...PRODUCTION_WITHOUT_KEYS, ENVIRONMENT: "staging" },
      // A host process behind CONTAINER_URL has its own settings (it refuses to start by itself).
      { ...PRODUCTION_WITHOUT_KEYS, CONTAINER_URL: inject("engineUrl") },
    ]) {
      const { status, body } = await health(bindings);
      expect({ status, problems: body.problems, r2: body.r2_configured }).toEqual({
        status: 200,
        problems: [],
        r2: true,
      });
    }
  });
});

describe("a job for a Container engine that would refuse to start", () => {
  it("fails at once with storage_misconfigured, before any container is asked", async () => {
    const loaded = loadConfig(PRODUCTION_WITHOUT_KEYS);
    if (!loaded.ok) throw new Error(loaded.problem);
    const error = await runEngineJob(
      PRODUCTION_WITHOUT_KEYS,
      loaded.config,
      { clip_id: "tone-prod", store_video: false },
      () => undefined,
    ).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ClipAudioError);
    expect(error).toMatchObject({ code: "storage_misconfigured", retryable: false });
    expect((error as Error).message).toContain("R2_SECRET_ACCESS_KEY not set");
  });
});

describe("the settings fingerprint", () => {
  it("is the same in workerd as in Node (the fixed vector)", async () => {
    const vector = { HMAC_SHARED_SECRET: "s", ENVIRONMENT: "production", R2_BUCKET: "b", RATE_LIMIT_REQUESTS: "5" };
    expect(await settingsFingerprint(vector)).toBe("187269c8ff3d5b295df85c64d509e2f15ce1bd32996889f680616e92360090b3");
  });

  it("is sent to a Container engine only, never to a host process it cannot restart", async () => {
    const container = loadConfig(PRODUCTION_WITH_KEYS);
    const host = loadConfig(env);
    if (!container.ok || !host.ok) throw new Error("configuration refused");
    expect(await engineSettingsHeaders(PRODUCTION_WITH_KEYS, container.config)).toEqual({
      [ENGINE_SETTINGS_HEADER]: await settingsFingerprint(PRODUCTION_WITH_KEYS),
    });
    expect(await engineSettingsHeaders(env, host.config)).toEqual({});
  });

  it("differing from the real engine's, gets the 409 the Worker takes for a mismatch", async () => {
    // The engine process of this run (worker/test/global-setup.ts) started with SECRET; the
    // Worker's settings here carry a rotated one, and the request is signed with it.
    const rotated = { ...env, HMAC_SHARED_SECRET: "rotated-secret" };
    const body = JSON.stringify({ clip_id: "tone-rotated" });
    const response = await fetch(`${inject("engineUrl")}/jobs`, {
      method: "POST",
      body,
      headers: {
        "content-type": "application/json",
        ...(await signRequest("rotated-secret", body)),
        [ENGINE_SETTINGS_HEADER]: await settingsFingerprint(rotated),
      },
    });
    expect(response.status).toBe(409);
    expect(isSettingsMismatch(response)).toBe(true);
    // A 409 without the engine's marker is not taken for one.
    expect(isSettingsMismatch(new Response("{}", { status: 409 }))).toBe(false);
    expect(SECRET).not.toBe("rotated-secret");
  });
});

describe("AudioEngine.restartForSettings (its decision; the container's signal recorded)", () => {
  /** A fresh Durable Object's real storage, and the container's side recorded. */
  async function withEngine(
    run: (engine: EngineInstance, signals: string[], setRunning: (on: boolean) => void) => Promise<void>,
  ) {
    const stub = env.ENGINE_MONITOR.get(env.ENGINE_MONITOR.idFromName(`restart-${crypto.randomUUID()}`));
    await runInDurableObject(stub, async (_instance, state) => {
      const signals: string[] = [];
      let running = true;
      const engine: EngineInstance = {
        storage: state.storage,
        envVars: { HMAC_SHARED_SECRET: "new-secret", ENVIRONMENT: "production" },
        running: () => running,
        stop: async () => {
          signals.push("SIGTERM");
        },
      };
      await run(engine, signals, (on) => {
        running = on;
      });
    });
  }

  it("sends SIGTERM once under a storm of 409s, then once the container restarted with them, never again", async () => {
    await withEngine(async (engine, signals, setRunning) => {
      // The container was started by the previous version, with the old secret.
      await noteEngineStart({ ...engine, envVars: { HMAC_SHARED_SECRET: "old-secret", ENVIRONMENT: "production" } });
      const sent = await settingsFingerprint(engine.envVars);
      const outcomes = await Promise.all(Array.from({ length: 20 }, () => restartForSettings(engine, sent)));
      expect(signals).toEqual(["SIGTERM"]);
      expect(outcomes.filter((o) => o === "restarting")).toHaveLength(1);
      expect(outcomes.filter((o) => o === "already_restarting")).toHaveLength(19);
      for (const outcome of new Set(outcomes)) expect(restartError(outcome).code).toBe("engine_restarting");
      // The engine drained and stopped; the next start gets the current settings.
      setRunning(false);
      await noteEngineStart(engine);
      setRunning(true);
      // Should the engine still disagree, something in its own environment does: no loop.
      expect(await restartForSettings(engine, sent)).toBe("persists");
      expect(restartError("persists").code).toBe("container_unavailable");
      expect(signals).toEqual(["SIGTERM"]);
    });
  });

  it("leaves the container alone when the caller runs other settings than the instance (a rollout)", async () => {
    await withEngine(async (engine, signals) => {
      const stale = await settingsFingerprint({ HMAC_SHARED_SECRET: "old-secret", ENVIRONMENT: "production" });
      expect(await restartForSettings(engine, stale)).toBe("caller_differs");
      expect(restartError("caller_differs").code).toBe("engine_restarting");
      expect(signals).toEqual([]);
    });
  });

  it("signals nothing when the container has already stopped (its next start takes the new settings)", async () => {
    await withEngine(async (engine, signals, setRunning) => {
      setRunning(false);
      expect(await restartForSettings(engine, await settingsFingerprint(engine.envVars))).toBe("restarting");
      expect(signals).toEqual([]);
    });
  });
});
