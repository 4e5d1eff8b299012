/**
 * The operator console in workerd: sign-in, sessions, CSRF, the audio with HTTP Range, the pages
 * of a completed and a failed clip, cleanup with confirmation. The real engine processes the
 * fixture clips (see vitest.config.ts); the console's secret is given per request's env.
 */
import { env } from "cloudflare:workers";
import { base64url, createLocalJWKSet, exportJWK, generateKeyPair, SignJWT } from "jose";
import { describe, expect, it } from "vitest";
import { keys } from "../../shared/keys.ts";
import { Peaks } from "../../shared/schemas.ts";
import { accessKeySets } from "../src/console/access.ts";
import { ADVICE } from "../src/console/advice.ts";
import app from "../src/index.ts";
import { call, newClientIp } from "./helpers.ts";

const TOKEN = "console-test-token-0123456789";
const consoleEnv = { ...env, CONSOLE_TOKEN: TOKEN };
const ORIGIN = "http://worker";

interface Options {
  cookie?: string;
  ip?: string;
  form?: Record<string, string>;
  headers?: Record<string, string>;
  origin?: string;
}

async function request(path: string, options: Options = {}): Promise<Response> {
  const headers: Record<string, string> = { "CF-Connecting-IP": options.ip ?? newClientIp(), ...options.headers };
  if (options.cookie) headers.cookie = options.cookie;
  let body: URLSearchParams | undefined;
  if (options.form) {
    body = new URLSearchParams(options.form);
    headers["content-type"] = "application/x-www-form-urlencoded";
    headers.origin = options.origin ?? ORIGIN;
  }
  return app.fetch(
    new Request(`${ORIGIN}${path}`, {
      method: body ? "POST" : "GET",
      headers,
      redirect: "manual",
      ...(body ? { body } : {}),
    }),
    consoleEnv,
  );
}

async function signIn(): Promise<{ cookie: string; csrf: string }> {
  const response = await request("/console/login", { form: { token: TOKEN } });
  expect(response.status).toBe(303);
  const cookie = (response.headers.get("set-cookie") ?? "").split(";")[0] as string;
  const page = await (await request("/console", { cookie })).text();
  const csrf = /name="_csrf" value="([^"]+)"/.exec(page)?.[1] ?? "";
  return { cookie, csrf };
}

async function processed(id: string): Promise<void> {
  const response = await call("/process-clips", { body: { clip_ids: [id], force: true } });
  expect(response.status).toBe(200);
}

describe("console sign-in", () => {
  it("is off without CONSOLE_TOKEN", async () => {
    const response = await call("/console", { sign: false });
    expect(response.status).toBe(404);
    expect(await response.text()).toContain("set the CONSOLE_TOKEN secret");
  });

  it("sends a visitor without a session to the sign-in page, and media requests get 401", async () => {
    const page = await request("/console");
    expect(page.status).toBe(303);
    expect(page.headers.get("location")).toBe("/console/login");
    expect((await request("/console/clips/tone-x/audio")).status).toBe(401);
    expect(await (await request("/console/login")).text()).toContain('name="token"');
  });

  it("refuses a wrong token without a session, and gives the right one an HttpOnly SameSite=Strict cookie", async () => {
    const wrong = await request("/console/login", { form: { token: "not-it" } });
    expect(wrong.status).toBe(401);
    expect(wrong.headers.get("set-cookie")).toBeNull();
    expect(await wrong.text()).toContain("not the operator token");
    const right = await request("/console/login", { form: { token: TOKEN } });
    expect(right.status).toBe(303);
    const cookie = right.headers.get("set-cookie") ?? "";
    expect(cookie).toMatch(/^clip_console_session=/);
    expect(cookie).toMatch(/HttpOnly/);
    expect(cookie).toMatch(/SameSite=Strict/);
    expect(cookie).toMatch(/Path=\/console/);
  });

  it("refuses a tampered session cookie", async () => {
    const { cookie } = await signIn();
    // The session is a signed JWT: a payload that names someone else no longer fits its signature.
    const [header, payload, signature] = cookie.slice(cookie.indexOf("=") + 1).split(".") as [string, string, string];
    const claims = JSON.parse(new TextDecoder().decode(base64url.decode(payload)));
    const forged = base64url.encode(JSON.stringify({ ...claims, sub: "someone-else" }));
    const tampered = `clip_console_session=${header}.${forged}.${signature}`;
    expect((await request("/console", { cookie: tampered })).status).toBe(303);
    expect((await request("/console", { cookie })).status).toBe(200);
  });

  it("signs out: the cookie is cleared (and signing out needs the CSRF token too)", async () => {
    const { cookie, csrf } = await signIn();
    expect((await request("/console/logout", { cookie, form: {} })).status).toBe(403);
    const out = await request("/console/logout", { cookie, form: { _csrf: csrf } });
    expect(out.status).toBe(303);
    expect(out.headers.get("set-cookie")).toMatch(/^clip_console_session=;.*Max-Age=0/);
  });

  it("refuses a sign-in form posted from another site", async () => {
    const response = await request("/console/login", { form: { token: TOKEN }, origin: "https://evil.example" });
    expect(response.status).toBe(403);
    expect(response.headers.get("set-cookie")).toBeNull();
  });

  it("counts sign-in attempts against the API's rate limit", async () => {
    const ip = newClientIp();
    const statuses: number[] = [];
    for (let i = 0; i < 11; i++)
      statuses.push((await request("/console/login", { ip, form: { token: "guess" } })).status);
    expect(statuses.slice(0, 10)).toEqual(Array(10).fill(401));
    expect(statuses[10]).toBe(429);
  });
});

describe("console assets and limits", () => {
  it("links only stylesheets and scripts that the platform serves from the assets directory", async () => {
    const page = await (await request("/console/login")).text();
    const linked = [...page.matchAll(/<(?:link rel="stylesheet" href|script src)="([^"]+)"/g)].map(
      (m) => m[1] as string,
    );
    expect(linked).toEqual(["/console/assets/console.css", "/console/assets/player.css", "/console/assets/console.js"]);
    for (const path of linked) {
      const asset = await env.ASSETS.fetch(`${ORIGIN}${path}`);
      expect(asset.status, path).toBe(200);
      const type = path.endsWith(".css") ? "text/css" : "javascript";
      expect(asset.headers.get("content-type"), path).toContain(type);
      expect(asset.headers.get("x-content-type-options"), path).toBe("nosniff");
      expect((await asset.text()).length, path).toBeGreaterThan(500);
    }
    expect((await env.ASSETS.fetch(`${ORIGIN}/console/assets/missing.css`)).status).toBe(404);
  });

  it("counts pages against the console's own limit, and sign-in attempts against the API's", async () => {
    const ip = newClientIp();
    const page = await request("/console/login", { ip });
    expect(page.headers.get("ratelimit-limit")).toBe("600");
    expect(page.headers.get("ratelimit-remaining")).toBe("599");
    const attempt = await request("/console/login", { ip, form: { token: "guess" } });
    expect(attempt.headers.get("ratelimit-limit")).toBe("10");
    expect(attempt.headers.get("ratelimit-remaining")).toBe("9");
  });
});

describe("console CSRF", () => {
  it("refuses a form without the session's token, or with another session's", async () => {
    const mine = await signIn();
    const other = await signIn();
    expect(mine.csrf).not.toBe("");
    expect(mine.csrf).not.toBe(other.csrf);
    const none = await request("/console/submit", { cookie: mine.cookie, form: { ids: "tone-csrf" } });
    expect(none.status).toBe(403);
    expect(await none.text()).toContain("CSRF check failed");
    const foreign = await request("/console/submit", {
      cookie: mine.cookie,
      form: { ids: "tone-csrf", _csrf: other.csrf },
    });
    expect(foreign.status).toBe(403);
    const good = await request("/console/submit", {
      cookie: mine.cookie,
      form: { ids: "tone-csrf", _csrf: mine.csrf },
    });
    expect(good.status).toBe(303);
    expect(good.headers.get("location")).toMatch(/^\/console\/tasks\/[A-Za-z0-9-]+$/);
  });

  it("shows the API's message beside the form for bad ids", async () => {
    const { cookie, csrf } = await signIn();
    const response = await request("/console/submit", { cookie, form: { ids: "ok-id\nbad@id", _csrf: csrf } });
    expect(response.status).toBe(400);
    expect(await response.text()).toContain("bad@id (contains invalid characters)");
  });
});

describe("console clip pages and media", () => {
  it("streams the WAV with HTTP Range: parts, suffixes, whole, and 416 beyond the end", async () => {
    await processed("tone-console");
    const { cookie } = await signIn();
    const whole = await request("/console/clips/tone-console/audio", { cookie });
    expect(whole.status).toBe(200);
    expect(whole.headers.get("accept-ranges")).toBe("bytes");
    const bytes = new Uint8Array(await whole.arrayBuffer());
    expect(Number(whole.headers.get("content-length"))).toBe(bytes.length);
    expect(new TextDecoder().decode(bytes.slice(0, 4))).toBe("RIFF");

    const part = await request("/console/clips/tone-console/audio", { cookie, headers: { range: "bytes=1000-1099" } });
    expect(part.status).toBe(206);
    expect(part.headers.get("content-range")).toBe(`bytes 1000-1099/${bytes.length}`);
    expect(new Uint8Array(await part.arrayBuffer())).toEqual(bytes.slice(1000, 1100));

    const tail = await request("/console/clips/tone-console/audio", { cookie, headers: { range: "bytes=-10" } });
    expect(tail.status).toBe(206);
    expect(new Uint8Array(await tail.arrayBuffer())).toEqual(bytes.slice(-10));

    const beyond = await request("/console/clips/tone-console/audio", {
      cookie,
      headers: { range: `bytes=${bytes.length}-` },
    });
    expect(beyond.status).toBe(416);
    expect(beyond.headers.get("content-range")).toBe(`bytes */${bytes.length}`);
  });

  it("shows a completed clip with its player, manifest and peaks", async () => {
    await processed("tone-page");
    const { cookie } = await signIn();
    const page = await (await request("/console/clips/tone-page", { cookie })).text();
    expect(page).toContain('src="/console/clips/tone-page/audio"');
    expect(page).toContain("Fixture clip tone");
    expect(page).toContain(keys.wav("tone-page"));
    const peaks = Peaks.parse(await (await request("/console/clips/tone-page/peaks.json", { cookie })).json());
    expect(peaks.length).toBeGreaterThan(0);
  });

  it("shows a failed clip's error code, message and what to do", async () => {
    const response = await call("/process-clips", { body: { clip_ids: ["missing-console"] } });
    expect(response.status).toBe(200);
    const { cookie } = await signIn();
    const page = await (await request("/console/clips/missing-console", { cookie })).text();
    expect(page).toContain("not_found");
    expect(page).toContain(ADVICE.not_found.replace(/'/g, "&#39;"));
  });

  it("cleans up only after a confirmation, and the peaks go with the rest", async () => {
    await processed("tone-console-clean");
    const { cookie, csrf } = await signIn();
    const review = await (await request("/console/clips/tone-console-clean/cleanup", { cookie })).text();
    expect(review).toContain(keys.peaks("tone-console-clean"));
    const unconfirmed = await request("/console/clips/tone-console-clean/cleanup", { cookie, form: { _csrf: csrf } });
    expect(unconfirmed.status).toBe(400);
    expect((await request("/console/clips/tone-console-clean/audio", { cookie })).status).toBe(200);
    const done = await request("/console/clips/tone-console-clean/cleanup", {
      cookie,
      form: { _csrf: csrf, confirm: "true" },
    });
    expect(done.status).toBe(200);
    expect(await done.text()).toContain("Successfully deleted");
    expect((await request("/console/clips/tone-console-clean/audio", { cookie })).status).toBe(404);
  });
});

describe("console behind Cloudflare Access", () => {
  // Cloudflare's key endpoint cannot be reached here: the team's key set is put in its place.
  const team = "console-test.cloudflareaccess.com";
  const accessEnv = { ...consoleEnv, CONSOLE_ACCESS_TEAM_DOMAIN: team, CONSOLE_ACCESS_AUD: "aud-console" };
  const fetchAccess = (path: string, headers: Record<string, string> = {}) =>
    app.fetch(
      new Request(`${ORIGIN}${path}`, {
        headers: { "CF-Connecting-IP": newClientIp(), ...headers },
        redirect: "manual",
      }),
      accessEnv,
    );

  it("requires the Access JWT on every request, then opens a session for its identity", async () => {
    const { privateKey, publicKey } = await generateKeyPair("RS256");
    accessKeySets.set(
      team,
      createLocalJWKSet({ keys: [{ ...(await exportJWK(publicKey)), kid: "t1", alg: "RS256" }] }),
    );
    const jwt = await new SignJWT({ email: "ops@example.com" })
      .setProtectedHeader({ alg: "RS256", kid: "t1" })
      .setIssuer(`https://${team}`)
      .setAudience("aud-console")
      .setIssuedAt()
      .setExpirationTime("5m")
      .sign(privateKey);
    const without = await fetchAccess("/console");
    expect(without.status).toBe(403);
    expect(await without.text()).toContain("Cloudflare Access did not vouch for this request");
    // A session cookie alone (from the token sign-in) is not enough once Access is configured.
    const { cookie } = await signIn();
    expect((await fetchAccess("/console", { cookie })).status).toBe(403);
    const page = await fetchAccess("/console", { "cf-access-jwt-assertion": jwt });
    expect(page.status).toBe(200);
    expect(await page.text()).toContain("ops@example.com");
    expect(page.headers.get("set-cookie")).toMatch(/^clip_console_session=.*HttpOnly/);
    // The token form is off: the login page sends people to the console (and so to Access).
    expect((await fetchAccess("/console/login")).headers.get("location")).toBe("/console");
  });
});
