/**
 * Cloudflare Access in front of the console: Access signs every request it lets through with a
 * JWT (`Cf-Access-Jwt-Assertion`); the Worker checks it with jose against the team's published
 * keys, so a request that went around Access is refused. jose rather than hono/jwk: jose caches
 * the team's key set per isolate (hono/jwk fetches it on every request).
 */
import { createRemoteJWKSet, type JWTVerifyGetKey, jwtVerify } from "jose";
import type { WorkerConfig } from "../config.ts";

export interface AccessSettings {
  /** `<team>.cloudflareaccess.com` (a leading https:// and trailing slash are tolerated). */
  teamDomain: string;
  /** The Access application's audience tag. */
  audience: string;
}

export type AccessCheck =
  | { ok: true; identity: string }
  | { ok: false; reason: "missing" | "invalid"; detail?: string };

/** Access is on when both its settings are given; else the operator token signs people in. */
export const accessSettings = (config: WorkerConfig): AccessSettings | null =>
  config.CONSOLE_ACCESS_TEAM_DOMAIN && config.CONSOLE_ACCESS_AUD
    ? { teamDomain: config.CONSOLE_ACCESS_TEAM_DOMAIN, audience: config.CONSOLE_ACCESS_AUD }
    : null;

export const accessIssuer = (teamDomain: string) =>
  `https://${teamDomain.replace(/^https?:\/\//, "").replace(/\/+$/, "")}`;

/**
 * The team's signing keys, fetched and cached by jose (per isolate, per team). Exported so that
 * tests, which cannot reach Cloudflare's key endpoint, can put a team's key set in place.
 */
export const accessKeySets = new Map<string, JWTVerifyGetKey>();

export function accessKeys(teamDomain: string): JWTVerifyGetKey {
  let set = accessKeySets.get(teamDomain);
  if (!set) {
    set = createRemoteJWKSet(new URL(`${accessIssuer(teamDomain)}/cdn-cgi/access/certs`));
    accessKeySets.set(teamDomain, set);
  }
  return set;
}

/** Signed by one of the team's keys (`keys`), issued by the team, for this application, not expired. */
export async function verifyAccessJwt(
  jwt: string | undefined,
  settings: AccessSettings,
  keys: JWTVerifyGetKey,
  now: Date = new Date(),
): Promise<AccessCheck> {
  if (!jwt) return { ok: false, reason: "missing" };
  try {
    const { payload } = await jwtVerify(jwt, keys, {
      issuer: accessIssuer(settings.teamDomain),
      audience: settings.audience,
      currentDate: now,
      algorithms: ["RS256"],
    });
    const identity = typeof payload.email === "string" ? payload.email : (payload.sub ?? "access");
    return { ok: true, identity };
  } catch (error) {
    return { ok: false, reason: "invalid", detail: (error as Error).message };
  }
}
