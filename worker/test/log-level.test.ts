/** LOG_LEVEL and DEBUG in the Worker's configuration (the level filter itself: shared/log.test.ts). */
import { env } from "cloudflare:workers";
import { expect, it, vi } from "vitest";
import { app } from "../src/app.ts";
import { loadConfig } from "../src/config.ts";
import { setLogLevel } from "../src/log.ts";
import { newClientIp } from "./helpers.ts";

it("takes LOG_LEVEL from the configuration and refuses an unknown level by name", () => {
  const loud = loadConfig({ ...env, LOG_LEVEL: "loud" });
  expect(loud).toEqual({
    ok: false,
    problem: 'Invalid configuration: LOG_LEVEL="loud": expected debug, info, warn or error',
  });
  const quiet = loadConfig({ ...env, LOG_LEVEL: "error" });
  expect(quiet.ok && quiet.config.LOG_LEVEL).toBe("error");
});

it("DEBUG=true logs every refusal with its reason; without it, refusals leave no line", async () => {
  const lines = vi.spyOn(console, "log").mockImplementation(() => undefined);
  const refused = async (bindings: object) => {
    lines.mockClear();
    const response = await app.fetch(
      new Request("http://worker/tasks/stats", { headers: { "CF-Connecting-IP": newClientIp() } }),
      bindings,
    );
    expect(response.status).toBe(401);
    return lines.mock.calls.map(([line]) => JSON.parse(String(line))).filter((line) => line.msg === "refused");
  };
  try {
    expect(await refused({ ...env, LOG_LEVEL: "" })).toEqual([]);
    expect(await refused({ ...env, LOG_LEVEL: "", DEBUG: "true" })).toEqual([
      expect.objectContaining({
        level: "debug",
        path: "/tasks/stats",
        status: 401,
        detail: expect.stringMatching(/^Security validation failed: /),
      }),
    ]);
    // LOG_LEVEL, when set, wins over DEBUG.
    expect(await refused({ ...env, LOG_LEVEL: "info", DEBUG: "true" })).toEqual([]);
  } finally {
    lines.mockRestore();
    setLogLevel("warn");
  }
});
