import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  computeSignature,
  MAX_CLOCK_SKEW_SECONDS,
  NONCE_PATTERN,
  newNonce,
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
    expect(result).toEqual({ ok: true, timestamp: Number(v.timestamp), nonce: v.nonce });
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

describe("newNonce", () => {
  it("makes valid, distinct nonces", () => {
    const nonces = new Set(Array.from({ length: 1000 }, newNonce));
    expect(nonces.size).toBe(1000);
    for (const nonce of nonces) expect(nonce).toMatch(NONCE_PATTERN);
  });
});
