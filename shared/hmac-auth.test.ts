import { Hono } from "hono";
import { describe, expect, it } from "vitest";
import { MAX_CLOCK_SKEW_SECONDS, NONCE_LIFETIME_SECONDS, requestTarget, signRequest } from "./hmac.ts";
import { hmacAuth } from "./hmac-auth.ts";

const SECRET = "shared-middleware-secret";

/** An app behind the middleware, with a nonce store in a Map, recording what it is told. */
function setup(secret: string | null = SECRET) {
  const claims = new Map<string, number>();
  const refusals: string[] = [];
  const app = new Hono();
  app.use(
    "*",
    hmacAuth({
      secret: () => secret,
      claimNonce: (_c, nonce, expiresAt) => {
        if (claims.has(nonce)) return false;
        claims.set(nonce, expiresAt);
        return true;
      },
      onReject: (_c, reason) => refusals.push(reason),
    }),
  );
  app.post("/jobs", (c) => c.text("ran"));
  return { app, claims, refusals };
}

const post = (app: Hono, headers: Record<string, string>, body = "{}") =>
  app.request("http://engine/jobs", { method: "POST", body, headers });

describe("hmacAuth", () => {
  it("lets a signed request through and claims its nonce until its timestamp can no longer be accepted", async () => {
    const { app, claims } = setup();
    const now = Math.floor(Date.now() / 1000);
    const response = await post(app, await signRequest(SECRET, "{}", { now, nonce: "a".repeat(32) }));
    expect(await response.text()).toBe("ran");
    expect(claims.get("a".repeat(32))).toBe((now + NONCE_LIFETIME_SECONDS) * 1000);
    expect(NONCE_LIFETIME_SECONDS).toBeGreaterThan(MAX_CLOCK_SKEW_SECONDS);
  });

  it("refuses a replay with the contract's text and tells onReject why", async () => {
    const { app, refusals } = setup();
    const headers = await signRequest(SECRET, "{}");
    await post(app, headers);
    const replay = await post(app, headers);
    expect(replay.status).toBe(401);
    expect(await replay.json()).toEqual({ detail: "Security validation failed: nonce already used" });
    expect(refusals).toEqual(["reused_nonce"]);
  });

  it("refuses a bad signature before claiming anything", async () => {
    const { app, claims, refusals } = setup();
    const headers = await signRequest("another-secret", "{}");
    const response = await post(app, headers);
    expect(response.status).toBe(401);
    expect(await response.json()).toEqual({ detail: "Security validation failed: signature mismatch" });
    expect(refusals).toEqual(["bad_signature"]);
    expect(claims.size).toBe(0);
  });

  it("verifies version 2 against the request's method and path", async () => {
    const { app } = setup();
    const target = requestTarget("POST", "http://engine/jobs");
    expect((await post(app, await signRequest(SECRET, "{}", { target }))).status).toBe(200);
    const elsewhere = requestTarget("POST", "http://engine/other");
    expect((await post(app, await signRequest(SECRET, "{}", { target: elsewhere }))).status).toBe(401);
  });

  it("lets everything through when there is no secret", async () => {
    const { app, claims } = setup(null);
    expect(await (await post(app, {})).text()).toBe("ran");
    expect(claims.size).toBe(0);
  });
});
