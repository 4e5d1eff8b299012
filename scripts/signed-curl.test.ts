/**
 * scripts/signed-curl.sh against a local server that verifies with the service's own verifier
 * (shared/hmac.ts): version 2 by default, covering method, path and query; version 1 on request.
 */
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { execa } from "execa";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { requestTarget, verifySignature } from "../shared/hmac.ts";

const SECRET = "curl-test-secret";
let server: Server;
let base: string;
/** What the server saw of the last request. */
let last: { method: string; url: string; body: string; version: string | undefined };

beforeAll(async () => {
  server = createServer(async (req, res) => {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const body = Buffer.concat(chunks).toString("utf8");
    const header = (name: string) => req.headers[name.toLowerCase()] as string | undefined;
    last = { method: req.method ?? "", url: req.url ?? "", body, version: header("X-Request-Signature-Version") };
    const result = await verifySignature(
      SECRET,
      body,
      {
        signature: header("X-Request-Signature"),
        timestamp: header("X-Request-Timestamp"),
        nonce: header("X-Request-Nonce"),
        version: header("X-Request-Signature-Version"),
      },
      Math.floor(Date.now() / 1000),
      { target: requestTarget(req.method ?? "", `http://x${req.url}`), requireV2: req.url?.includes("strict") },
    );
    res.writeHead(result.ok ? 200 : 401, { "content-type": "application/json" });
    res.end(JSON.stringify(result.ok ? { version: result.version } : { detail: result.reason }));
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

const curl = (args: string[], env: Record<string, string> = {}) =>
  execa("bash", ["scripts/signed-curl.sh", ...args], { env: { HMAC_SHARED_SECRET: SECRET, ...env }, reject: false });

describe("scripts/signed-curl.sh", () => {
  it.each([
    ["GET", "/api/clip-status/AbC", undefined],
    ["GET", "/api/list-processed-clips?limit=10&cursor=a%2Fb", undefined],
    ["DELETE", "/api/cleanup/AbC?dry_run=false&confirm=true", undefined],
    ["POST", "/api/process-clips", '{"clip_ids":["AbC","50% off"]}'],
    ["get", "/", undefined],
  ])("signs %s %s with version 2", async (method, path, body) => {
    const result = await curl([method, `${base}${path}`, ...(body ? [body] : [])]);
    expect(result.exitCode).toBe(0);
    expect(JSON.parse(result.stdout)).toEqual({ version: 2 });
    expect(last).toMatchObject({ method: method.toUpperCase(), url: path, version: "2", body: body ?? "" });
  });

  it("signs version 1 when asked, which a server requiring version 2 refuses", async () => {
    const ok = await curl(["GET", `${base}/api/tasks/stats`], { SIGNATURE_VERSION: "1" });
    expect(JSON.parse(ok.stdout)).toEqual({ version: 1 });
    expect(last.version).toBeUndefined();
    const strict = await curl(["GET", `${base}/strict`], { SIGNATURE_VERSION: "1" });
    expect(strict.exitCode).toBe(22);
    expect(JSON.parse(strict.stdout)).toEqual({ detail: "version_2_required" });
    expect((await curl(["GET", `${base}/strict`])).exitCode).toBe(0);
  });
});
