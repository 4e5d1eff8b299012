import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  computeSignature,
  MAX_CLOCK_SKEW_SECONDS,
  NONCE_PATTERN,
  newNonce,
  requestTarget,
  signRequest,
  verifySignature,
} from "./hmac.ts";

// Known answers computed independently with:
//   printf '%s' "<body><timestamp><nonce>" | openssl dgst -sha256 -hmac "<secret>"
const VECTORS = [
  {
    secret: "test-secret",
    body: '{"clip_ids":["AbC"]}',
    timestamp: "1700000000",
    nonce: "abcdefghijklmnop1234",
    hex: "efa62ad83acbed3c9afd226f010eab8fd0743c1e75e2a0fb5b750d9b83f5f00e",
  },
  {
    secret: "k3y with spaces & ünïcode",
    body: "",
    timestamp: "1700000000",
    nonce: "NONCE0000000000000001",
    hex: "9b878bb697eddbcea3b9db664c320e03fb2f941af216736109e09677e9fec6cb",
  },
  {
    secret: "s",
    body: '{"clip_ids":["ÆØÅ"],"background":true}',
    timestamp: "1800000000",
    nonce: "ZZZZZZZZZZZZZZZZ",
    hex: "8dd48dff115f32d7890d50ee12d50829e727b0c8fbafda36f819d3f31efc7085",
  },
];

const base = VECTORS[0] as (typeof VECTORS)[number];
const now = Number(base.timestamp);
const parts = (
  overrides: Partial<{ signature: string | null; timestamp: string | null; nonce: string | null }> = {},
) => ({
  signature: base.hex,
  timestamp: base.timestamp,
  nonce: base.nonce,
  ...overrides,
});

describe("computeSignature", () => {
  it.each(VECTORS)("matches openssl for secret $secret", async (v) => {
    expect(await computeSignature(v.secret, v.body, v.timestamp, v.nonce)).toBe(v.hex);
  });

  it("signs raw bytes the same as their UTF-8 string", async () => {
    const v = VECTORS[2] as (typeof VECTORS)[number];
    const bytes = new TextEncoder().encode(v.body);
    expect(await computeSignature(v.secret, bytes, v.timestamp, v.nonce)).toBe(v.hex);
    expect(await computeSignature(v.secret, bytes.buffer as ArrayBuffer, v.timestamp, v.nonce)).toBe(v.hex);
  });
});

describe("verifySignature", () => {
  it.each(VECTORS)("accepts the known answer for secret $secret", async (v) => {
    const result = await verifySignature(
      v.secret,
      v.body,
      { signature: v.hex, timestamp: v.timestamp, nonce: v.nonce },
      Number(v.timestamp),
    );
    expect(result).toEqual({ ok: true, timestamp: Number(v.timestamp), nonce: v.nonce, version: 1 });
  });

  it.each([
    ["hex: prefix", `hex:${base.hex}`],
    ["uppercase", base.hex.toUpperCase()],
    ["uppercase with HEX: prefix", `HEX:${base.hex.toUpperCase()}`],
  ])("accepts the %s form", async (_, signature) => {
    expect((await verifySignature(base.secret, base.body, parts({ signature }), now)).ok).toBe(true);
  });

  it("rejects a tampered body, timestamp, nonce or secret", async () => {
    const tamperedBody = await verifySignature(base.secret, `${base.body} `, parts(), now);
    const tamperedTimestamp = await verifySignature(base.secret, base.body, parts({ timestamp: String(now + 1) }), now);
    const tamperedNonce = await verifySignature(
      base.secret,
      base.body,
      parts({ nonce: `${base.nonce.slice(0, -1)}5` }),
      now,
    );
    const wrongSecret = await verifySignature("other-secret", base.body, parts(), now);
    for (const result of [tamperedBody, tamperedTimestamp, tamperedNonce, wrongSecret]) {
      expect(result).toEqual({ ok: false, reason: "bad_signature" });
    }
  });

  it("accepts skew of 299 and 300 s either way, rejects 301 s", async () => {
    for (const skew of [299, 300, -299, -300]) {
      expect((await verifySignature(base.secret, base.body, parts(), now + skew)).ok).toBe(true);
    }
    for (const skew of [301, -301]) {
      expect(await verifySignature(base.secret, base.body, parts(), now + skew)).toEqual({
        ok: false,
        reason: "expired_timestamp",
      });
    }
    expect(MAX_CLOCK_SKEW_SECONDS).toBe(300);
  });

  it.each([
    ["no signature", { signature: null }, "missing_headers"],
    ["empty timestamp", { timestamp: "" }, "missing_headers"],
    ["no nonce", { nonce: null }, "missing_headers"],
    ["a non-integer timestamp", { timestamp: "1700000000.5" }, "invalid_timestamp"],
    ["a negative timestamp", { timestamp: "-1700000000" }, "invalid_timestamp"],
    ["a short nonce", { nonce: "abc123" }, "invalid_nonce"],
    ["a nonce with symbols", { nonce: "abcdefghijklmnop-123" }, "invalid_nonce"],
    ["a 65-character nonce", { nonce: "a".repeat(65) }, "invalid_nonce"],
    ["a truncated signature", { signature: base.hex.slice(0, 63) }, "invalid_signature_format"],
    ["a non-hex signature", { signature: `${base.hex.slice(0, 63)}g` }, "invalid_signature_format"],
    ["a base64 signature", { signature: "76Yq2DrL7Tz9Ih9uAQ6rj9B0PB514qD7W1t1nYP18A4=" }, "invalid_signature_format"],
  ] as const)("names the failure for %s", async (_, overrides, reason) => {
    expect(await verifySignature(base.secret, base.body, parts(overrides), now)).toEqual({ ok: false, reason });
  });

  it("round-trips any body, secret and time (property)", async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.string({ minLength: 1 }),
        fc.uint8Array(),
        fc.integer({ min: 0, max: 4_000_000_000 }),
        async (secret, body, ts) => {
          const headers = await signRequest(secret, body, { now: ts });
          const result = await verifySignature(
            secret,
            body,
            {
              signature: headers["X-Request-Signature"],
              timestamp: headers["X-Request-Timestamp"],
              nonce: headers["X-Request-Nonce"],
            },
            ts,
          );
          expect(result.ok).toBe(true);
        },
      ),
      { numRuns: 200 },
    );
  });

  it("rejects any single flipped byte of the body (property)", async () => {
    await fc.assert(
      fc.asyncProperty(fc.uint8Array({ minLength: 1 }), fc.nat(), async (body, position) => {
        const headers = await signRequest("secret", body, { now });
        const tampered = body.slice();
        const i = position % tampered.length;
        tampered[i] = (tampered[i] as number) ^ 0x01;
        const result = await verifySignature(
          "secret",
          tampered,
          { signature: headers["X-Request-Signature"], timestamp: String(now), nonce: headers["X-Request-Nonce"] },
          now,
        );
        expect(result).toEqual({ ok: false, reason: "bad_signature" });
      }),
      { numRuns: 100 },
    );
  });
});

// Version 2 known answers, computed independently with:
//   { printf '%s\n%s\n%s\n%s\n%s\n' METHOD PATH QUERY TIMESTAMP NONCE; printf '%s' BODY; } | openssl dgst -sha256 -hmac SECRET
const V2_VECTORS = [
  {
    target: { method: "DELETE", path: "/api/cleanup/AbC", query: "dry_run=false&confirm=true" },
    body: "",
    hex: "15220e20b2e4bf6ad95e82fcd5306cc50a10e03c9cbef98a33a662441b5e423d",
  },
  {
    target: { method: "POST", path: "/api/process-clips", query: "" },
    body: base.body,
    hex: "8a6fafeac96063ae14fc8bbd220a3514dee8bc9fb8670780331544fa9b3e51cd",
  },
];

describe("signature version 2 (method, path and query signed too)", () => {
  const v2parts = (hex: string) => ({ signature: hex, timestamp: base.timestamp, nonce: base.nonce, version: "2" });

  it.each(V2_VECTORS)("matches openssl for $target.method $target.path", async (v) => {
    expect(await computeSignature(base.secret, v.body, base.timestamp, base.nonce, v.target)).toBe(v.hex);
    expect(await verifySignature(base.secret, v.body, v2parts(v.hex), now, { target: v.target })).toEqual({
      ok: true,
      timestamp: now,
      nonce: base.nonce,
      version: 2,
    });
  });

  it("refuses the signature for another method, path or query", async () => {
    const v = V2_VECTORS[0] as (typeof V2_VECTORS)[number];
    for (const target of [
      { ...v.target, method: "GET" },
      { ...v.target, path: "/api/cleanup/XyZ" },
      { ...v.target, query: "dry_run=true&confirm=false" },
      { ...v.target, query: "" },
    ]) {
      expect(await verifySignature(base.secret, v.body, v2parts(v.hex), now, { target })).toEqual({
        ok: false,
        reason: "bad_signature",
      });
    }
  });

  it("keeps version 1 unless version 2 is required; refuses unknown versions", async () => {
    const target = requestTarget("GET", "https://x/clip-status/AbC");
    const v1 = parts();
    expect((await verifySignature(base.secret, base.body, v1, now, { target })).ok).toBe(true);
    expect(await verifySignature(base.secret, base.body, v1, now, { target, requireV2: true })).toEqual({
      ok: false,
      reason: "version_2_required",
    });
    for (const version of ["3", "v2", "02"]) {
      expect(await verifySignature(base.secret, base.body, { ...v1, version }, now, { target })).toEqual({
        ok: false,
        reason: "unsupported_version",
      });
    }
  });

  it("a version 1 signature sent as version 2 does not verify", async () => {
    const target = requestTarget("POST", "https://x/process-clips");
    const result = await verifySignature(base.secret, base.body, { ...parts(), version: "2" }, now, { target });
    expect(result).toEqual({ ok: false, reason: "bad_signature" });
  });

  it("round-trips any method, path, query and body (property)", async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom("GET", "POST", "DELETE"),
        fc.webPath(),
        fc.webQueryParameters(),
        fc.uint8Array(),
        async (method, path, query, body) => {
          const target = requestTarget(
            method,
            `https://clip-audio${path.startsWith("/") ? path : `/${path}`}?${query}`,
          );
          const headers = await signRequest("secret", body, { now, target });
          const result = await verifySignature(
            "secret",
            body,
            {
              signature: headers["X-Request-Signature"],
              timestamp: headers["X-Request-Timestamp"],
              nonce: headers["X-Request-Nonce"],
              version: headers["X-Request-Signature-Version"],
            },
            now,
            { target, requireV2: true },
          );
          expect(result.ok).toBe(true);
        },
      ),
      { numRuns: 200 },
    );
  });
});

describe("newNonce", () => {
  it("makes valid, distinct nonces", () => {
    const nonces = new Set(Array.from({ length: 1000 }, newNonce));
    expect(nonces.size).toBe(1000);
    for (const nonce of nonces) expect(nonce).toMatch(NONCE_PATTERN);
  });
});
