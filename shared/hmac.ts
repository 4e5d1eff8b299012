/**
 * HMAC request signing in two versions:
 * - 1, the original service's (existing callers):
 *   signature = hex(HMAC-SHA256(secret, body bytes + timestamp + nonce)).
 * - 2 (header `X-Request-Signature-Version: 2`) also covers what the request does, so a captured
 *   signature cannot be replayed against another method, path or query:
 *   signature = hex(HMAC-SHA256(secret, METHOD \n path \n query \n timestamp \n nonce \n body bytes)),
 *   path as sent (percent-encoding kept, `/api` included), query the raw text after `?` (empty when none).
 *
 * Pure functions: the secret and the clock are parameters, never read here. Verification
 * returns a typed reason; callers log it and put only the contract's fixed text on the wire.
 */

export const SIGNATURE_HEADER = "X-Request-Signature";
export const TIMESTAMP_HEADER = "X-Request-Timestamp";
export const NONCE_HEADER = "X-Request-Nonce";
export const IDEMPOTENCY_HEADER = "X-Idempotency-Key";
export const SIGNATURE_VERSION_HEADER = "X-Request-Signature-Version";

/** A timestamp is accepted when within this many seconds of the server clock, either way. */
export const MAX_CLOCK_SKEW_SECONDS = 300;
/**
 * A claimed nonce is remembered this long after its request's timestamp: until that timestamp
 * could no longer be accepted. The Worker's nonce store and the engine's both use it.
 */
export const NONCE_LIFETIME_SECONDS = MAX_CLOCK_SKEW_SECONDS + 1;
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
  | "bad_signature"
  | "unsupported_version"
  | "version_2_required";

/** The reason part of `Security validation failed: <reason>`; never echoes what was sent. */
export const VERIFY_FAILURE_TEXT: Record<VerifyFailure, string> = {
  missing_headers: `missing required header (${SIGNATURE_HEADER}, ${TIMESTAMP_HEADER}, ${NONCE_HEADER})`,
  invalid_timestamp: "invalid timestamp (expected integer Unix seconds)",
  expired_timestamp: `timestamp outside the allowed ${MAX_CLOCK_SKEW_SECONDS} s window`,
  invalid_nonce: "invalid nonce format (expected 16-64 alphanumeric characters)",
  reused_nonce: "nonce already used",
  invalid_signature_format: "invalid signature format (expected 64 hex characters)",
  bad_signature: "signature mismatch",
  unsupported_version: `unsupported signature version (${SIGNATURE_VERSION_HEADER} must be 1 or 2)`,
  version_2_required: `signature version 2 required (${SIGNATURE_VERSION_HEADER}: 2)`,
};

export type VerifyResult =
  | { ok: true; timestamp: number; nonce: string; version: 1 | 2 }
  | { ok: false; reason: VerifyFailure };

export interface SignedParts {
  signature: string | null | undefined;
  timestamp: string | null | undefined;
  nonce: string | null | undefined;
  /** `X-Request-Signature-Version`; absent means 1. */
  version?: string | null | undefined;
}

/** What a version 2 signature covers besides the body. */
export interface RequestTarget {
  method: string;
  /** The path as sent, e.g. `/api/cleanup/AbC`. */
  path: string;
  /** The raw query after `?`, without it; empty when there is none. */
  query: string;
}

/** The method, path and query of `url` as a version 2 signature covers them. */
export function requestTarget(method: string, url: string | URL): RequestTarget {
  const parsed = typeof url === "string" ? new URL(url) : url;
  return { method: method.toUpperCase(), path: parsed.pathname, query: parsed.search.replace(/^\?/, "") };
}

export type Body = string | Uint8Array | ArrayBuffer;

const encoder = new TextEncoder();

function bodyBytes(body: Body): Uint8Array {
  if (typeof body === "string") return encoder.encode(body);
  return body instanceof Uint8Array ? body : new Uint8Array(body);
}

function concat(first: Uint8Array, second: Uint8Array): Uint8Array<ArrayBuffer> {
  const message = new Uint8Array(first.length + second.length);
  message.set(first, 0);
  message.set(second, first.length);
  return message;
}

/** Version 1 without `target`, version 2 with it. */
function signedMessage(body: Body, timestamp: string, nonce: string, target?: RequestTarget): Uint8Array<ArrayBuffer> {
  if (!target) return concat(bodyBytes(body), encoder.encode(timestamp + nonce));
  const head = [target.method.toUpperCase(), target.path, target.query, timestamp, nonce, ""].join("\n");
  return concat(encoder.encode(head), bodyBytes(body));
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

/** Lowercase hex HMAC-SHA256 of body + timestamp + nonce (version 1), or of the version 2 message with `target`. */
export async function computeSignature(
  secret: string,
  body: Body,
  timestamp: string,
  nonce: string,
  target?: RequestTarget,
): Promise<string> {
  const key = await importKey(secret, "sign");
  return toHex(await crypto.subtle.sign("HMAC", key, signedMessage(body, timestamp, nonce, target)));
}

export interface VerifyOptions {
  /** The request's method, path and query: needed to verify version 2. */
  target?: RequestTarget;
  /** Refuse version 1. */
  requireV2?: boolean;
}

function signatureVersion(header: string | null | undefined): 1 | 2 | null {
  const text = header?.trim() ?? "";
  if (text === "" || text === "1") return 1;
  return text === "2" ? 2 : null;
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
  options: VerifyOptions = {},
): Promise<VerifyResult> {
  const { signature, timestamp, nonce } = parts;
  if (!signature || !timestamp || !nonce) return { ok: false, reason: "missing_headers" };
  const version = signatureVersion(parts.version);
  if (version === null || (version === 2 && !options.target)) return { ok: false, reason: "unsupported_version" };
  if (version === 1 && options.requireV2) return { ok: false, reason: "version_2_required" };
  if (!TIMESTAMP_PATTERN.test(timestamp)) return { ok: false, reason: "invalid_timestamp" };
  const ts = Number(timestamp);
  if (Math.abs(nowSeconds - ts) > MAX_CLOCK_SKEW_SECONDS) return { ok: false, reason: "expired_timestamp" };
  if (!NONCE_PATTERN.test(nonce)) return { ok: false, reason: "invalid_nonce" };
  const hex = SIGNATURE_PATTERN.exec(signature.trim())?.[1];
  if (!hex) return { ok: false, reason: "invalid_signature_format" };
  const key = await importKey(secret, "verify");
  const message = signedMessage(body, timestamp, nonce, version === 2 ? options.target : undefined);
  const valid = await crypto.subtle.verify("HMAC", key, fromHex(hex), message);
  return valid ? { ok: true, timestamp: ts, nonce, version } : { ok: false, reason: "bad_signature" };
}

/** A fresh random nonce of 32 alphanumeric characters. */
export function newNonce(): string {
  return toHex(crypto.getRandomValues(new Uint8Array(16)).buffer);
}

export interface SignOptions {
  /** Unix seconds; defaults to now. */
  now?: number;
  nonce?: string;
  /** Sign with version 2, covering this method, path and query too. */
  target?: RequestTarget;
}

/**
 * The headers that sign a request with `body` (empty string for GET and DELETE): version 1's
 * three, or with `target` version 2's four.
 */
export async function signRequest(
  secret: string,
  body: Body = "",
  options: SignOptions = {},
): Promise<Record<string, string>> {
  const timestamp = String(options.now ?? Math.floor(Date.now() / 1000));
  const nonce = options.nonce ?? newNonce();
  const headers: Record<string, string> = {
    [SIGNATURE_HEADER]: await computeSignature(secret, body, timestamp, nonce, options.target),
    [TIMESTAMP_HEADER]: timestamp,
    [NONCE_HEADER]: nonce,
  };
  if (options.target) headers[SIGNATURE_VERSION_HEADER] = "2";
  return headers;
}
