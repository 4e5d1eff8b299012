import { describe, expect, it } from "vitest";
import { signRequest } from "../../shared/hmac.ts";
import { call, newClientIp, SECRET } from "./helpers.ts";

describe("rate limiting", () => {
  it("answers the 11th request in the window with 429 and headers; another client is unaffected", async () => {
    const ip = newClientIp();
    for (let i = 0; i < 10; i++) {
      const ok = await call("/tasks/stats", { ip });
      expect(ok.status).toBe(200);
      expect(ok.headers.get("RateLimit-Remaining")).toBe(String(9 - i));
    }
    const limited = await call("/tasks/stats", { ip });
    expect(limited.status).toBe(429);
    expect(await limited.json()).toEqual({ detail: "Rate limit exceeded" });
    expect(limited.headers.get("RateLimit-Limit")).toBe("10");
    expect(limited.headers.get("RateLimit-Remaining")).toBe("0");
    const retryAfter = Number(limited.headers.get("Retry-After"));
    expect(retryAfter).toBeGreaterThan(0);
    expect(retryAfter).toBeLessThanOrEqual(60);
    expect((await call("/tasks/stats", { ip: newClientIp() })).status).toBe(200);
  });

  it("admits exactly the limit under concurrency, and rejected requests do not count", async () => {
    const ip = newClientIp();
    const statuses = await Promise.all(
      Array.from({ length: 25 }, () => call("/tasks/stats", { ip }).then((r) => r.status)),
    );
    expect(statuses.filter((s) => s === 200)).toHaveLength(10);
    expect(statuses.filter((s) => s === 429)).toHaveLength(15);
  });

  it("limits before checking signatures: unsigned floods get 429 too", async () => {
    const ip = newClientIp();
    const statuses: number[] = [];
    for (let i = 0; i < 11; i++) statuses.push((await call("/tasks/stats", { ip, sign: false })).status);
    expect(statuses.slice(0, 10).every((s) => s === 401)).toBe(true);
    expect(statuses[10]).toBe(429);
  });

  it("a refused request leaves no claimed nonce: the same signed request is accepted from a client with room", async () => {
    // The rate limit and the nonce store are asked at once (middleware/admission.ts); a request
    // the rate limit refuses gives its nonce back, as if it had never come.
    const ip = newClientIp();
    for (let i = 0; i < 10; i++) expect((await call("/tasks/stats", { ip })).status).toBe(200);
    const signed = await signRequest(SECRET, "");
    const limited = await call("/tasks/stats", { ip, sign: false, headers: signed });
    expect(limited.status).toBe(429);
    const again = await call("/tasks/stats", { ip: newClientIp(), sign: false, headers: signed });
    expect(again.status).toBe(200);
    // and it is claimed now: a replay is refused.
    const replay = await call("/tasks/stats", { ip: newClientIp(), sign: false, headers: signed });
    expect(replay.status).toBe(401);
  });

  it("a request refused by the rate limit gets 429 whatever its signature (429 before 401)", async () => {
    const ip = newClientIp();
    for (let i = 0; i < 10; i++) await call("/tasks/stats", { ip });
    const statuses = await Promise.all([
      call("/tasks/stats", { ip, sign: false }).then((r) => r.status),
      call("/tasks/stats", { ip, secret: "wrong-secret-wrong-secret" }).then((r) => r.status),
      call("/tasks/stats", { ip }).then((r) => r.status),
    ]);
    expect(statuses).toEqual([429, 429, 429]);
  });
});
