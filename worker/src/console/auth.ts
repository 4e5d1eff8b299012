/**
 * Who may use the console, as pure functions over a secret and a clock (the routes read both):
 * the operator token, the session it is exchanged for (a JWT signed with jose, HS256), and a
 * CSRF token bound to that session. Checks return a result union; the detailed reason is for
 * the log, never for the page.
 */
import { base64url, errors, jwtVerify, SignJWT } from "jose";
import { z } from "zod";

const encoder = new TextEncoder();

/** How long a session lasts: a working day, after which the operator signs in again. */
export const SESSION_SECONDS = 12 * 60 * 60;

export const Session = z.object({
  /** Who: `operator` for the token, the Access identity's email otherwise. */
  sub: z.string(),
  /** Random per sign-in: the CSRF token is bound to it (the JWT's `jti`). */
  sid: z.string(),
  /** Unix seconds. */
  exp: z.number(),
});
export type Session = z.infer<typeof Session>;

export type SessionCheck =
  | { ok: true; session: Session }
  | { ok: false; reason: "malformed" | "bad_signature" | "expired" };

/** One secret, a separate key per use: a session's signature is never a valid CSRF token. */
const keyBytes = (secret: string, purpose: string) => encoder.encode(`${purpose}:${secret}`);

const hmacKey = (secret: string, purpose: string): Promise<CryptoKey> =>
  crypto.subtle.importKey("raw", keyBytes(secret, purpose), { name: "HMAC", hash: "SHA-256" }, false, [
    "sign",
    "verify",
  ]);

/** Constant time: both sides are hashed first, so their lengths say nothing either. */
export async function tokenMatches(given: string, expected: string): Promise<boolean> {
  const [a, b] = await Promise.all([
    crypto.subtle.digest("SHA-256", encoder.encode(given)),
    crypto.subtle.digest("SHA-256", encoder.encode(expected)),
  ]);
  return crypto.subtle.timingSafeEqual(a, b);
}

export function newSession(sub: string, nowSeconds: number): Session {
  return { sub, sid: crypto.randomUUID(), exp: nowSeconds + SESSION_SECONDS };
}

/** The cookie's value: the session as a signed JWT. */
export function sealSession(session: Session, secret: string): Promise<string> {
  return new SignJWT()
    .setProtectedHeader({ alg: "HS256" })
    .setSubject(session.sub)
    .setJti(session.sid)
    .setExpirationTime(session.exp)
    .sign(keyBytes(secret, "console-session"));
}

export async function openSession(value: string, secret: string, nowSeconds: number): Promise<SessionCheck> {
  try {
    const { payload } = await jwtVerify(value, keyBytes(secret, "console-session"), {
      algorithms: ["HS256"],
      currentDate: new Date(nowSeconds * 1000),
    });
    const session = Session.safeParse({ sub: payload.sub, sid: payload.jti, exp: payload.exp });
    return session.success ? { ok: true, session: session.data } : { ok: false, reason: "malformed" };
  } catch (error) {
    if (error instanceof errors.JWTExpired) return { ok: false, reason: "expired" };
    if (error instanceof errors.JWSSignatureVerificationFailed) return { ok: false, reason: "bad_signature" };
    return { ok: false, reason: "malformed" };
  }
}

/** The CSRF token of a session: an HMAC of its id, so only a page the session was shown can carry it. */
export async function csrfToken(session: Session, secret: string): Promise<string> {
  const key = await hmacKey(secret, "console-csrf");
  return base64url.encode(new Uint8Array(await crypto.subtle.sign("HMAC", key, encoder.encode(session.sid))));
}

export async function csrfMatches(given: string, session: Session, secret: string): Promise<boolean> {
  let signature: Uint8Array;
  try {
    signature = base64url.decode(given);
  } catch {
    return false;
  }
  if (signature.length === 0) return false;
  const key = await hmacKey(secret, "console-csrf");
  return crypto.subtle.verify("HMAC", key, signature, encoder.encode(session.sid));
}
