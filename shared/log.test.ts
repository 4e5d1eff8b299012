import { afterEach, expect, it, vi } from "vitest";
import { formatLine, log, setLogLevel } from "./log.ts";

afterEach(() => {
  vi.restoreAllMocks();
  setLogLevel("info");
});

it("writes one JSON object per line: level, time, then the fields", () => {
  const line = formatLine("warn", { msg: "auth rejected", path: "/api/x" }, new Date(0));
  expect(line).toBe('{"level":"warn","time":"1970-01-01T00:00:00.000Z","msg":"auth rejected","path":"/api/x"}');
});

it("never writes a field named like a secret", () => {
  const fields = { msg: "m", HMAC_SHARED_SECRET: "s3cr3t", signature: "ab", Authorization: "Bearer x", token: "t" };
  const written = formatLine("info", fields);
  expect(written).not.toMatch(/s3cr3t|"ab"|Bearer|"t"/);
  expect(JSON.parse(written)).toMatchObject({ msg: "m", signature: "[redacted]", token: "[redacted]" });
});

it("drops lines below the level, and errors go to stderr", () => {
  const out = vi.spyOn(console, "log").mockImplementation(() => undefined);
  const err = vi.spyOn(console, "error").mockImplementation(() => undefined);
  setLogLevel("warn");
  log("info", { msg: "request" });
  log("warn", { msg: "slow" });
  log("error", { msg: "crashed" });
  expect(out.mock.calls.map(([line]) => JSON.parse(String(line)).msg)).toEqual(["slow"]);
  expect(err.mock.calls.map(([line]) => JSON.parse(String(line)).msg)).toEqual(["crashed"]);
});
