/**
 * Who may use the console, as pure functions over a secret and a clock (the routes read both):
 * the operator token exchanged for a signed session, a CSRF token bound to that session, and a
 * Cloudflare Access JWT checked against the team's keys. Each returns a result union; the
 * detailed reason is for the log, never for the page.
 */
import { type JWTVerifyGetKey, jwtVerify } from "jose";

const encoder = new TextEncoder();

/** How long a session lasts: a working day, after which the operator signs in again. */
export const SESSION_SECONDS = 12 * 60 * 60;

export interface Session {
  /** Who: `operator` for the token, the Access identity's email otherwise. */
  sub: string;
  /** Random per sign-in: the CSRF token is bound to it. */
  sid: string;
  /** Unix seconds. */
  exp: number;
}

export type SessionCheck =
  | { ok: true; session: Session }
  | { ok: false; reason: "malformed" | "bad_signature" | "expired" };

async function hmacKey(secret: string, purpose: string): Promise<CryptoKey> {
  // One secret, separate keys per use: a session signature is never a valid CSRF token.
  return crypto.subtle.importKey(
    "raw",
    encoder.encode(`${purpose}:${secret}`),
    { name: "HMAC", hash: "SHA-256" },
    false,
    ["sign", "verify"],
  );
}

const toBase64Url = (bytes: ArrayBuffer | Uint8Array) =>
  btoa(String.fromCharCode(...new Uint8Array(bytes)))
    .replace(/\+/g, "-")
    .replace(/\//g, "_")
    .replace(/=+$/, "");

function fromBase64Url(text: string): Uint8Array | null {
  if (!/^[A-Za-z0-9_-]*$/.test(text)) return null;
  try {
    const binary = atob(text.replace(/-/g, "+").replace(/_/g, "/"));
    return Uint8Array.from(binary, (ch) => ch.charCodeAt(0));
  } catch {
    return null;
  }
}

/** Constant time: both sides are hashed first, so their lengths say nothing either. */
export async function tokenMatches(given: string, expected: string): Promise<boolean> {
  const [a, b] = await Promise.all([
    crypto.subtle.digest("SHA-256", encoder.encode(given)),
    crypto.subtle.digest("SHA-256", encoder.encode(expected)),
  ]);
  return crypto.subtle.timingSafeEqual(a, b);
}

export function newSession(sub: string, nowSeconds: number): Session {
  return { sub, sid: toBase64Url(crypto.getRandomValues(new Uint8Array(18))), exp: nowSeconds + SESSION_SECONDS };
}

/** `<payload>.<signature>`, both base64url: the cookie's value. */
export async function sealSession(session: Session, secret: string): Promise<string> {
  const payload = toBase64Url(encoder.encode(JSON.stringify(session)));
  const signature = await crypto.subtle.sign("HMAC", await hmacKey(secret, "console-session"), encoder.encode(payload));
  return `${payload}.${toBase64Url(signature)}`;
}

export async function openSession(value: string, secret: string, nowSeconds: number): Promise<SessionCheck> {
  const [payload, signature, extra] = value.split(".");
  const signatureBytes = fromBase64Url(signature ?? "");
  if (!payload || !signature || !signatureBytes || extra !== undefined) return { ok: false, reason: "malformed" };
  const key = await hmacKey(secret, "console-session");
  if (!(await crypto.subtle.verify("HMAC", key, signatureBytes, encoder.encode(payload)))) {
    return { ok: false, reason: "bad_signature" };
  }
  let session: Session;
  try {
    session = JSON.parse(new TextDecoder().decode(fromBase64Url(payload) ?? new Uint8Array())) as Session;
  } catch {
    return { ok: false, reason: "malformed" };
  }
  if (typeof session.exp !== "number" || typeof session.sid !== "string" || typeof session.sub !== "string") {
    return { ok: false, reason: "malformed" };
  }
  if (session.exp <= nowSeconds) return { ok: false, reason: "expired" };
  return { ok: true, session };
}

/** The CSRF token of a session: an HMAC of its id, so only a page the session was shown can carry it. */
export async function csrfToken(session: Session, secret: string): Promise<string> {
  const signature = await crypto.subtle.sign(
    "HMAC",
    await hmacKey(secret, "console-csrf"),
    encoder.encode(session.sid),
  );
  return toBase64Url(signature);
}

export async function csrfMatches(given: string, session: Session, secret: string): Promise<boolean> {
  const bytes = fromBase64Url(given);
  if (!bytes || bytes.length === 0) return false;
  return crypto.subtle.verify("HMAC", await hmacKey(secret, "console-csrf"), bytes, encoder.encode(session.sid));
}

export interface AccessSettings {
  /** `<team>.cloudflareaccess.com` (a leading https:// and trailing slash are tolerated). */
  teamDomain: string;
  /** The Access application's audience tag. */
  audience: string;
}

export type AccessCheck =
  | { ok: true; identity: string }
  | { ok: false; reason: "missing" | "invalid"; detail?: string };

export const accessIssuer = (teamDomain: string) =>
  `https://${teamDomain.replace(/^https?:\/\//, "").replace(/\/+$/, "")}`;
export const accessCertsUrl = (teamDomain: string) => `${accessIssuer(teamDomain)}/cdn-cgi/access/certs`;

/**
 * Checks the `Cf-Access-Jwt-Assertion` Access puts on every request it lets through: signed by
 * one of the team's keys (`keys`), issued by the team, for this application, not expired.
 */
export async function verifyAccessJwt(
  jwt: string | undefined,
  settings: AccessSettings,
  keys: JWTVerifyGetKey,
  nowSeconds: number,
): Promise<AccessCheck> {
  if (!jwt) return { ok: false, reason: "missing" };
  try {
    const { payload } = await jwtVerify(jwt, keys, {
      issuer: accessIssuer(settings.teamDomain),
      audience: settings.audience,
      currentDate: new Date(nowSeconds * 1000),
      algorithms: ["RS256"],
    });
    const identity = typeof payload.email === "string" ? payload.email : (payload.sub ?? "access");
    return { ok: true, identity };
  } catch (error) {
    return { ok: false, reason: "invalid", detail: (error as Error).message };
  }
}
