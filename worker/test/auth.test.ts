import { describe, expect, it } from "vitest";
import { computeSignature, signRequest } from "../../shared/hmac.ts";
import { call, json, newClientIp, SECRET } from "./helpers.ts";

const path = "/clip-status/AbC";
const now = () => Math.floor(Date.now() / 1000);

async function withHeaders(headers: Record<string, string>) {
  return call(path, { sign: false, headers });
}

describe("HMAC authentication", () => {
  it("lets a signed request through, at / and /api", async () => {
    expect((await call(path)).status).toBe(200);
    expect((await call(`/api${path}`)).status).toBe(200);
  });

  it("refuses a request with no signature headers", async () => {
    const response = await call(path, { sign: false });
    expect(response.status).toBe(401);
    expect(await json(response)).toEqual({
      detail:
        "Security validation failed: missing required header (X-Request-Signature, X-Request-Timestamp, X-Request-Nonce)",
    });
  });

  it("refuses a wrong signature without echoing it", async () => {
    const headers = await signRequest("another-secret", "");
    const response = await withHeaders(headers);
    expect(response.status).toBe(401);
    const body = await response.text();
    expect(body).toBe('{"detail":"Security validation failed: signature mismatch"}');
    expect(body).not.toContain(headers["X-Request-Signature"] as string);
  });

  it("refuses an expired timestamp and accepts one 299 s old", async () => {
    const old = await signRequest(SECRET, "", { now: now() - 301 });
    expect(await json(await withHeaders(old))).toEqual({
      detail: "Security validation failed: timestamp outside the allowed 300 s window",
    });
    expect((await withHeaders(await signRequest(SECRET, "", { now: now() - 299 }))).status).toBe(200);
  });

  it("refuses a replayed nonce, from any client", async () => {
    const headers = await signRequest(SECRET, "");
    expect((await withHeaders(headers)).status).toBe(200);
    const replay = await call(path, { sign: false, headers, ip: newClientIp() });
    expect(replay.status).toBe(401);
    expect(await json(replay)).toEqual({ detail: "Security validation failed: nonce already used" });
  });

  it("refuses a body tampered after signing", async () => {
    const body = JSON.stringify({ clip_ids: ["a"] });
    const headers = await signRequest(SECRET, body);
    const response = await call("/process-clips", { sign: false, headers, body: JSON.stringify({ clip_ids: ["b"] }) });
    expect(response.status).toBe(401);
  });

  it("accepts the hex: prefix and uppercase hex", async () => {
    const timestamp = String(now());
    for (const [nonce, form] of [
      ["prefixnonce00000001", (s: string) => `hex:${s}`],
      ["uppercasenonce00001", (s: string) => s.toUpperCase()],
    ] as const) {
      const signature = form(await computeSignature(SECRET, "", timestamp, nonce));
      const response = await withHeaders({
        "X-Request-Signature": signature,
        "X-Request-Timestamp": timestamp,
        "X-Request-Nonce": nonce,
      });
      expect(response.status).toBe(200);
    }
  });

  it("refuses a malformed nonce", async () => {
    const headers = await signRequest(SECRET, "", { nonce: "short" });
    expect(await json(await withHeaders(headers))).toEqual({
      detail: "Security validation failed: invalid nonce format (expected 16-64 alphanumeric characters)",
    });
  });

  it("leaves /health and /openapi.json open", async () => {
    expect((await call("/openapi.json", { sign: false })).status).toBe(200);
    // The engine and the bucket are up in this setup (test/global-setup.ts): healthy, 200.
    expect((await call("/health", { sign: false })).status).toBe(200);
  });
});
