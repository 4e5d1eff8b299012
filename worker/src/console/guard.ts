/**
 * Sign-in for the console's pages: the session cookie (from the operator token, or opened for
 * the identity Cloudflare Access vouched for), and on every form the session's CSRF token.
 */
import type { Context, MiddlewareHandler } from "hono";
import { getCookie, setCookie } from "hono/cookie";
import { z } from "zod";
import { ApiError } from "../errors.ts";
import { log } from "../log.ts";
import type { AppEnv } from "../types.ts";
import { accessKeys, accessSettings, verifyAccessJwt } from "./access.ts";
import { csrfMatches, csrfToken, newSession, openSession, SESSION_SECONDS, type Session, sealSession } from "./auth.ts";
import { BASE } from "./pages/layout.tsx";

export const SESSION_COOKIE = "clip_console_session";

export interface ConsoleEnv extends AppEnv {
  Variables: AppEnv["Variables"] & { session: Session; csrf: string; secret: string };
}

const now = () => Math.floor(Date.now() / 1000);

/** Pages and media are for the signed-in operator only; these answer JSON, not pages. */
export const wantsJson = (path: string) => path.endsWith("/live") || /\/(audio|peaks\.json|chunks\/\d+)$/.test(path);

/**
 * The console's forms, read through zod like every other input. A field that is missing or not
 * text reads as empty (a browser always sends the form's fields; anything else is refused by
 * what comes next: no token, no CSRF match, no clip ids).
 */
export const text = z.string().catch("");
const CsrfForm = z.object({ _csrf: text });

export async function readForm<T extends z.ZodType>(c: Context, schema: T): Promise<z.infer<T>> {
  return schema.parse(await c.req.parseBody());
}

export async function startSession(c: Context<ConsoleEnv>, sub: string): Promise<Session> {
  const session = newSession(sub, now());
  setCookie(c, SESSION_COOKIE, await sealSession(session, c.var.secret), {
    path: BASE,
    httpOnly: true,
    sameSite: "Strict",
    secure: new URL(c.req.url).protocol === "https:",
    maxAge: SESSION_SECONDS,
  });
  return session;
}

/** With Access configured: the identity its JWT names, or a 403 for a request that went around it. */
async function accessIdentity(c: Context<ConsoleEnv>): Promise<string | null> {
  const access = accessSettings(c.var.config);
  if (!access) return null;
  const checked = await verifyAccessJwt(c.req.header("cf-access-jwt-assertion"), access, accessKeys(access.teamDomain));
  if (checked.ok) return checked.identity;
  log("warn", { msg: "console access refused", reason: checked.reason, detail: checked.detail });
  throw new ApiError(403, "Cloudflare Access did not vouch for this request: open the console through its Access URL.");
}

/** The session of the cookie, if it is valid and (with Access) of the identity Access named. */
async function cookieSession(c: Context<ConsoleEnv>, identity: string | null): Promise<Session | null> {
  const cookie = getCookie(c, SESSION_COOKIE);
  if (!cookie) return null;
  const opened = await openSession(cookie, c.var.secret, now());
  if (!opened.ok) log("info", { msg: "console session refused", reason: opened.reason });
  return opened.ok && (!identity || opened.session.sub === identity) ? opened.session : null;
}

async function checkCsrf(c: Context<ConsoleEnv>, session: Session): Promise<void> {
  const { _csrf: given } = await readForm(c, CsrfForm);
  if (await csrfMatches(given, session, c.var.secret)) return;
  log("warn", { msg: "console CSRF refused", path: c.req.path });
  throw new ApiError(
    403,
    "This form did not come from your console session (CSRF check failed). Reload the page and try again.",
  );
}

/** Everything after it needs a signed-in operator (and, with Access configured, a valid Access JWT). */
export function requireOperator(): MiddlewareHandler<ConsoleEnv> {
  return async function requireOperator(c, next) {
    const identity = await accessIdentity(c);
    let session = await cookieSession(c, identity);
    if (!session && identity) session = await startSession(c, identity);
    if (!session) {
      if (wantsJson(c.req.path)) throw new ApiError(401, "Sign in to the console first");
      return c.redirect(`${BASE}/login`, 303);
    }
    c.set("session", session);
    c.set("csrf", await csrfToken(session, c.var.secret));
    if (c.req.method === "POST") await checkCsrf(c, session);
    c.header("Cache-Control", "no-store");
    await next();
  };
}
