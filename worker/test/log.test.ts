/** LOG_LEVEL: the request log can be turned down, and a bad value is a configuration error. */
import { env } from "cloudflare:workers";
import { afterEach, expect, it, vi } from "vitest";
import { loadConfig } from "../src/config.ts";
import { log, setLogLevel } from "../src/log.ts";

afterEach(() => {
  vi.restoreAllMocks();
  setLogLevel("warn");
});

it("drops lines below the level and keeps the rest", () => {
  const out = vi.spyOn(console, "log").mockImplementation(() => undefined);
  const err = vi.spyOn(console, "error").mockImplementation(() => undefined);
  setLogLevel("warn");
  log("info", { msg: "request" });
  log("warn", { msg: "callback refused" });
  log("error", { msg: "bucket mismatch" });
  expect(out.mock.calls.map(([line]) => JSON.parse(String(line)).msg)).toEqual(["callback refused"]);
  expect(err.mock.calls.map(([line]) => JSON.parse(String(line)).msg)).toEqual(["bucket mismatch"]);
  setLogLevel("info");
  log("info", { msg: "request" });
  expect(out).toHaveBeenCalledTimes(2);
});

it("takes LOG_LEVEL from the configuration and refuses an unknown level by name", () => {
  const loud = loadConfig({ ...env, LOG_LEVEL: "loud" });
  expect(loud).toEqual({ ok: false, problem: 'Invalid configuration: LOG_LEVEL="loud": expected info, warn or error' });
  const quiet = loadConfig({ ...env, LOG_LEVEL: "error" });
  expect(quiet.ok && quiet.config.LOG_LEVEL).toBe("error");
});
