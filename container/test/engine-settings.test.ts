/**
 * The engine process and its settings (issue 20, point 5), the real `node container/src/server.ts`:
 * in production it refuses to start without bucket credentials, naming what is missing and no
 * value; and it refuses a job whose settings fingerprint differs from its own with 409, before
 * HMAC authentication, so that a rotated secret reads as "restart me", not as a 401.
 */
import { resolve } from "node:path";
import { execa } from "execa";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { signRequest } from "../../shared/hmac.ts";
import {
  ENGINE_SETTINGS_HEADER,
  engineSettingsFingerprint,
  SETTINGS_MISMATCH_HEADER,
} from "../../shared/settings-fingerprint.ts";
import { type EngineProcess, startEngineProcess } from "../../test/support/engine-process.ts";
import { SETTINGS_MISMATCH_DETAIL } from "../src/settings-check.ts";

const SERVER = resolve(import.meta.dirname, "../src/server.ts");
/** Values that must never be printed. */
const SECRET = "engine-settings-secret-4c1d";
const KEY_ID = "key-id-value-9e2f";
const SECRET_KEY = "secret-key-value-77ab";
/** Whatever the test runner's own environment holds, the bucket settings are ours alone. */
const NO_BUCKET = { S3_ENDPOINT: "", CLOUDFLARE_ACCOUNT_ID: "", R2_ACCESS_KEY_ID: "", R2_SECRET_ACCESS_KEY: "" };

/** Runs the server until it exits (a refused configuration) or 10 s pass. */
const startOnce = (env: Record<string, string>) =>
  execa(process.execPath, [SERVER], {
    env: { HOST: "127.0.0.1", PORT: "0", ...NO_BUCKET, ...env },
    reject: false,
    timeout: 10_000,
    stdin: "ignore",
  });

describe("a production engine without bucket credentials", () => {
  it("refuses to start (exit 2), naming every missing setting and no value", async () => {
    const result = await startOnce({ ENVIRONMENT: "production", HMAC_SHARED_SECRET: SECRET, R2_ACCESS_KEY_ID: KEY_ID });
    expect(result.exitCode).toBe(2);
    expect(result.stderr).toContain("the engine has no bucket credentials in production");
    expect(result.stderr).toContain("CLOUDFLARE_ACCOUNT_ID (or S3_ENDPOINT), R2_SECRET_ACCESS_KEY not set");
    expect(result.stderr).not.toContain("R2_ACCESS_KEY_ID");
    const output = `${result.stdout}\n${result.stderr}`;
    for (const value of [SECRET, KEY_ID]) expect(output).not.toContain(value);
    expect(result.stdout).not.toContain("listening");
  });

  it("refuses with none of them set, whichever environment word says production", async () => {
    const result = await startOnce({ NODE_ENV: "production", HMAC_SHARED_SECRET: SECRET });
    expect(result.exitCode).toBe(2);
    expect(result.stderr).toContain(
      "CLOUDFLARE_ACCOUNT_ID (or S3_ENDPOINT), R2_ACCESS_KEY_ID, R2_SECRET_ACCESS_KEY not set",
    );
  });

  it("starts in production once they are set, and in development without them (a local folder)", async () => {
    const production = await startEngineProcess({
      ENVIRONMENT: "production",
      HMAC_SHARED_SECRET: SECRET,
      CLOUDFLARE_ACCOUNT_ID: "0123456789abcdef0123456789abcdef",
      R2_ACCESS_KEY_ID: KEY_ID,
      R2_SECRET_ACCESS_KEY: SECRET_KEY,
    });
    await production.stop();
    const development = await startEngineProcess({
      ...NO_BUCKET,
      ENVIRONMENT: "development",
      HMAC_SHARED_SECRET: SECRET,
    });
    await development.stop();
  });
});

describe("the settings fingerprint on job requests", () => {
  const started = { ...NO_BUCKET, ENVIRONMENT: "development", HMAC_SHARED_SECRET: SECRET, JOB_CONCURRENCY: "1" };
  let engine: EngineProcess;
  /** The engine's whole environment: the test runner's, then what startEngineProcess sets. */
  const engineEnv = () => ({ ...process.env, ...started, LOG_LEVEL: "info" });

  beforeAll(async () => {
    engine = await startEngineProcess(started);
  }, 30_000);
  afterAll(async () => engine?.stop());

  async function post(secret: string, fingerprint?: string, body = "{}") {
    const headers: Record<string, string> = {
      "content-type": "application/json",
      ...(await signRequest(secret, body)),
      ...(fingerprint === undefined ? {} : { [ENGINE_SETTINGS_HEADER]: fingerprint }),
    };
    return fetch(`${engine.url}/jobs`, { method: "POST", body, headers });
  }

  it("answers 409 to a Worker whose secret was rotated, before checking its signature", async () => {
    const rotated = "rotated-secret-after-start";
    const theirs = await engineSettingsFingerprint({ ...engineEnv(), HMAC_SHARED_SECRET: rotated });
    const response = await post(rotated, theirs);
    expect(response.status).toBe(409);
    expect(response.headers.get(SETTINGS_MISMATCH_HEADER)).toBe("true");
    const text = await response.text();
    expect(JSON.parse(text)).toEqual({ detail: SETTINGS_MISMATCH_DETAIL });
    // Neither fingerprint is echoed.
    expect(text).not.toContain(theirs);
    expect(text).not.toContain(await engineSettingsFingerprint(engineEnv()));
  });

  it("answers 409 to any other changed setting too, and to a setting added or removed", async () => {
    for (const change of [{ JOB_CONCURRENCY: "2" }, { CHUNK_SECONDS: "20" }, { JOB_CONCURRENCY: "" }]) {
      const response = await post(SECRET, await engineSettingsFingerprint({ ...engineEnv(), ...change }));
      expect(response.status, JSON.stringify(change)).toBe(409);
    }
  });

  it("lets matching settings through to authentication and validation", async () => {
    const ours = await engineSettingsFingerprint(engineEnv());
    expect((await post("not-the-secret", ours)).status).toBe(401);
    const invalid = await post(SECRET, ours);
    expect(invalid.status).toBe(400);
    expect(invalid.headers.get(SETTINGS_MISMATCH_HEADER)).toBeNull();
  });

  it("does not check a request without the header (a host process the Worker cannot restart)", async () => {
    expect((await post(SECRET)).status).toBe(400);
  });
});
