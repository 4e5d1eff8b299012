/**
 * HMAC request signing, compatible with the original service's callers:
 * signature = hex(HMAC-SHA256(secret, body bytes + timestamp + nonce)).
 *
 * Pure functions: the secret and the clock are parameters, never read here. Verification
 * returns a typed reason; callers log it and put only the contract's fixed text on the wire.
 */

export const SIGNATURE_HEADER = "X-Request-Signature";
export const TIMESTAMP_HEADER = "X-Request-Timestamp";
export const NONCE_HEADER = "X-Request-Nonce";
export const IDEMPOTENCY_HEADER = "X-Idempotency-Key";

/** A timestamp is accepted when within this many seconds of the server clock, either way. */
export const MAX_CLOCK_SKEW_SECONDS = 300;
export const NONCE_PATTERN = /^[A-Za-z0-9]{16,64}$/;
export const IDEMPOTENCY_KEY_PATTERN = /^[A-Za-z0-9-]{16,64}$/;

const SIGNATURE_PATTERN = /^(?:hex:)?([0-9a-f]{64})$/i;
const TIMESTAMP_PATTERN = /^\d{1,12}$/;

export type VerifyFailure =
  | "missing_headers"
  | "invalid_timestamp"
  | "expired_timestamp"
  | "invalid_nonce"
  | "reused_nonce"
  | "invalid_signature_format"
  | "bad_signature";

/** The reason part of `Security validation failed: <reason>`; never echoes what was sent. */
export const VERIFY_FAILURE_TEXT: Record<VerifyFailure, string> = {
  missing_headers: `missing required header (${SIGNATURE_HEADER}, ${TIMESTAMP_HEADER}, ${NONCE_HEADER})`,
  invalid_timestamp: "invalid timestamp (expected integer Unix seconds)",
  expired_timestamp: `timestamp outside the allowed ${MAX_CLOCK_SKEW_SECONDS} s window`,
  invalid_nonce: "invalid nonce format (expected 16-64 alphanumeric characters)",
  reused_nonce: "nonce already used",
  invalid_signature_format: "invalid signature format (expected 64 hex characters)",
  bad_signature: "signature mismatch",
};

export type VerifyResult = { ok: true; timestamp: number; nonce: string } | { ok: false; reason: VerifyFailure };

export interface SignedParts {
  signature: string | null | undefined;
  timestamp: string | null | undefined;
  nonce: string | null | undefined;
}

export type Body = string | Uint8Array | ArrayBuffer;

const encoder = new TextEncoder();

function bodyBytes(body: Body): Uint8Array {
  if (typeof body === "string") return encoder.encode(body);
  return body instanceof Uint8Array ? body : new Uint8Array(body);
}

function signedMessage(body: Body, timestamp: string, nonce: string): Uint8Array<ArrayBuffer> {
  const head = bodyBytes(body);
  const tail = encoder.encode(timestamp + nonce);
  const message = new Uint8Array(head.length + tail.length);
  message.set(head, 0);
  message.set(tail, head.length);
  return message;
}

function importKey(secret: string, usage: "sign" | "verify") {
  return crypto.subtle.importKey("raw", encoder.encode(secret), { name: "HMAC", hash: "SHA-256" }, false, [usage]);
}

function toHex(bytes: ArrayBuffer): string {
  return Array.from(new Uint8Array(bytes), (b) => b.toString(16).padStart(2, "0")).join("");
}

function fromHex(hex: string): Uint8Array<ArrayBuffer> {
  const out = new Uint8Array(hex.length / 2);
  for (let i = 0; i < out.length; i++) out[i] = Number.parseInt(hex.slice(i * 2, i * 2 + 2), 16);
  return out;
}

/** Lowercase hex HMAC-SHA256 of body + timestamp + nonce. */
export async function computeSignature(secret: string, body: Body, timestamp: string, nonce: string): Promise<string> {
  const key = await importKey(secret, "sign");
  return toHex(await crypto.subtle.sign("HMAC", key, signedMessage(body, timestamp, nonce)));
}

/**
 * Checks headers, clock window and signature (in constant time via `crypto.subtle.verify`).
 * Nonce reuse is the caller's business: it needs storage.
 */
export async function verifySignature(
  secret: string,
  body: Body,
  parts: SignedParts,
  nowSeconds: number,
): Promise<VerifyResult> {
  const { signature, timestamp, nonce } = parts;
  if (!signature || !timestamp || !nonce) return { ok: false, reason: "missing_headers" };
  if (!TIMESTAMP_PATTERN.test(timestamp)) return { ok: false, reason: "invalid_timestamp" };
  const ts = Number(timestamp);
  if (Math.abs(nowSeconds - ts) > MAX_CLOCK_SKEW_SECONDS) return { ok: false, reason: "expired_timestamp" };
  if (!NONCE_PATTERN.test(nonce)) return { ok: false, reason: "invalid_nonce" };
  const hex = SIGNATURE_PATTERN.exec(signature.trim())?.[1];
  if (!hex) return { ok: false, reason: "invalid_signature_format" };
  const key = await importKey(secret, "verify");
  const valid = await crypto.subtle.verify("HMAC", key, fromHex(hex), signedMessage(body, timestamp, nonce));
  return valid ? { ok: true, timestamp: ts, nonce } : { ok: false, reason: "bad_signature" };
}

/** A fresh random nonce of 32 alphanumeric characters. */
export function newNonce(): string {
  return toHex(crypto.getRandomValues(new Uint8Array(16)).buffer);
}

export interface SignOptions {
  /** Unix seconds; defaults to now. */
  now?: number;
  nonce?: string;
}

/** The three headers that sign a request with `body` (empty string for GET and DELETE). */
export async function signRequest(
  secret: string,
  body: Body = "",
  options: SignOptions = {},
): Promise<Record<string, string>> {
  const timestamp = String(options.now ?? Math.floor(Date.now() / 1000));
  const nonce = options.nonce ?? newNonce();
  return {
    [SIGNATURE_HEADER]: await computeSignature(secret, body, timestamp, nonce),
    [TIMESTAMP_HEADER]: timestamp,
    [NONCE_HEADER]: nonce,
  };
}
