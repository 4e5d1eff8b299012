/**
 * What the routes' zod schemas must read as the handlers read them before: a body whatever its
 * Content-Type, a repeated query name by its first value, a clip URL in a path reduced to its
 * id, page sizes clamped and never refused. None of these start any work.
 */
import { exports } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { signRequest } from "../../shared/hmac.ts";
import type { ClipStatus, TaskList } from "../../shared/schemas.ts";
import { call, json, newClientIp, SECRET } from "./helpers.ts";

const SUFFIX = "Clip IDs must contain only alphanumeric characters, hyphens, and underscores.";

async function post(body: string, contentType?: string): Promise<Response> {
  const headers = {
    "CF-Connecting-IP": newClientIp(),
    ...(contentType ? { "content-type": contentType } : {}),
    ...(await signRequest(SECRET, body)),
  };
  return exports.default.fetch(new Request("http://worker/process-clips", { method: "POST", headers, body }));
}

describe("POST /process-clips reads its body as JSON", () => {
  it.each([undefined, "text/plain", "application/json; charset=utf-8"])("with Content-Type %s", async (type) => {
    const response = await post(JSON.stringify({ clip_ids: ["a b"] }), type);
    expect(response.status).toBe(400);
    expect(await json(response)).toEqual({
      detail: `Invalid clip ID(s): a b (contains invalid characters). ${SUFFIX}`,
    });
  });

  it("and words a body that is not JSON as the contract does", async () => {
    const response = await post("clip_ids=abc", "application/x-www-form-urlencoded");
    expect(response.status).toBe(400);
    expect(await json(response)).toEqual({ detail: "Request body must be valid JSON" });
  });
});

describe("query strings and paths", () => {
  it("take a repeated name's first value", async () => {
    // The first dry_run is false: a deletion, which needs confirm.
    const cleanup = await call("/cleanup/rvNeverProcessed?dry_run=false&dry_run=true", { method: "DELETE" });
    expect(cleanup.status).toBe(400);
    expect(await json(cleanup)).toEqual({
      detail: "Actual deletion requires confirm=true parameter. Use dry_run=true for preview.",
    });
    // The first cursor is empty (the first page); the second would not decode.
    expect((await call("/list-processed-clips?cursor=&cursor=%25%25%25")).status).toBe(200);
  });

  it("reduce a clip URL in a path to its id, and name a bad id", async () => {
    const url = encodeURIComponent("https://clips.twitch.tv/RvNeverProcessed");
    const status = await call(`/clip-status/${url}`);
    expect(status.status).toBe(200);
    expect(await json<ClipStatus>(status)).toMatchObject({ clip_id: "RvNeverProcessed", state: "not_found" });
    const bad = await call(`/cleanup/${encodeURIComponent("clip@123")}`, { method: "DELETE" });
    expect(await json(bad)).toEqual({
      detail: `Invalid clip ID(s): clip@123 (contains invalid characters). ${SUFFIX}`,
    });
  });

  it.each(["0", "-3", "5000", "abc", "1.5", " "])(
    "clamp or default /tasks?limit=%s, never refuse it",
    async (limit) => {
      const response = await call(`/tasks?limit=${encodeURIComponent(limit)}`);
      expect(response.status).toBe(200);
      expect(await json<TaskList>(response)).toHaveProperty("tasks");
    },
  );
});
