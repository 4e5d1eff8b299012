/**
 * The console's security functions on their own: sessions (a signed JWT) and CSRF tokens, the
 * Cloudflare Access JWT against a team's keys, and HTTP Range parsing for the player.
 */
import { createLocalJWKSet, exportJWK, generateKeyPair, SignJWT, UnsecuredJWT } from "jose";
import { describe, expect, it } from "vitest";
import { verifyAccessJwt } from "../src/console/access.ts";
import { csrfMatches, csrfToken, newSession, openSession, sealSession } from "../src/console/auth.ts";
import { parseRange } from "../src/console/media.ts";

describe("console security functions", () => {
  it("parses Range headers as RFC 9110 says", () => {
    expect(parseRange(undefined, 100)).toEqual({ kind: "whole" });
    expect(parseRange("bytes=0-9", 100)).toEqual({ kind: "part", range: { offset: 0, length: 10 } });
    expect(parseRange("bytes=90-", 100)).toEqual({ kind: "part", range: { offset: 90, length: 10 } });
    expect(parseRange("bytes=95-200", 100)).toEqual({ kind: "part", range: { offset: 95, length: 5 } });
    expect(parseRange("bytes=-500", 100)).toEqual({ kind: "part", range: { offset: 0, length: 100 } });
    expect(parseRange("bytes=100-", 100)).toEqual({ kind: "unsatisfiable" });
    expect(parseRange("bytes=0-1,5-6", 100)).toEqual({ kind: "whole" });
    expect(parseRange("items=0-1", 100)).toEqual({ kind: "whole" });
  });

  it("expires sessions and binds CSRF tokens to one session", async () => {
    const session = newSession("operator", 1000);
    const sealed = await sealSession(session, "s3cret");
    expect(await openSession(sealed, "s3cret", 1001)).toEqual({ ok: true, session });
    expect(await openSession(sealed, "other", 1001)).toEqual({ ok: false, reason: "bad_signature" });
    expect(await openSession(sealed, "s3cret", session.exp)).toEqual({ ok: false, reason: "expired" });
    expect(await openSession("garbage", "s3cret", 1001)).toEqual({ ok: false, reason: "malformed" });
    // An unsigned token claiming the same session is not a session.
    const unsigned = new UnsecuredJWT({ jti: session.sid })
      .setSubject("operator")
      .setExpirationTime(session.exp)
      .encode();
    expect(await openSession(unsigned, "s3cret", 1001)).toEqual({ ok: false, reason: "malformed" });
    const token = await csrfToken(session, "s3cret");
    expect(await csrfMatches(token, session, "s3cret")).toBe(true);
    expect(await csrfMatches(token, newSession("operator", 1000), "s3cret")).toBe(false);
  });

  it("accepts an Access JWT only from the team's keys, for this application, unexpired", async () => {
    const { privateKey, publicKey } = await generateKeyPair("RS256");
    const jwks = createLocalJWKSet({ keys: [{ ...(await exportJWK(publicKey)), kid: "k1", alg: "RS256" }] });
    const settings = { teamDomain: "team.cloudflareaccess.com", audience: "aud-123" };
    const at2000 = new Date(2000 * 1000);
    const sign = (claims: { aud?: string; iss?: string; exp?: number }) =>
      new SignJWT({ email: "op@example.com" })
        .setProtectedHeader({ alg: "RS256", kid: "k1" })
        .setIssuer(claims.iss ?? "https://team.cloudflareaccess.com")
        .setAudience(claims.aud ?? "aud-123")
        .setIssuedAt(1000)
        .setExpirationTime(claims.exp ?? 5000)
        .sign(privateKey);
    expect(await verifyAccessJwt(await sign({}), settings, jwks, at2000)).toEqual({
      ok: true,
      identity: "op@example.com",
    });
    expect(await verifyAccessJwt(undefined, settings, jwks, at2000)).toEqual({ ok: false, reason: "missing" });
    for (const bad of [{ aud: "other-app" }, { iss: "https://evil.cloudflareaccess.com" }, { exp: 1500 }]) {
      expect(await verifyAccessJwt(await sign(bad), settings, jwks, at2000)).toMatchObject({
        ok: false,
        reason: "invalid",
      });
    }
    const { privateKey: strangerKey } = await generateKeyPair("RS256");
    const forged = await new SignJWT({ email: "op@example.com" })
      .setProtectedHeader({ alg: "RS256", kid: "k1" })
      .setIssuer("https://team.cloudflareaccess.com")
      .setAudience("aud-123")
      .setExpirationTime(5000)
      .sign(strangerKey);
    expect(await verifyAccessJwt(forged, settings, jwks, at2000)).toMatchObject({ ok: false, reason: "invalid" });
  });
});
