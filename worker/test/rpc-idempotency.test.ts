/**
 * Idempotency keys on the RPC door: a caller Worker that retries `processClips` after a dropped
 * connection gets the first call's answer, not a second job. Through the example caller Worker
 * and its real service binding (RETRY_CALLER, props { caller: "retry" }).
 */
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import type { ProcessClipsResponse, TaskStats } from "../../shared/schemas.ts";
import { call, json } from "./helpers.ts";

interface Outcome<T> {
  status: number;
  value?: T;
  error?: { status: number; detail: string };
}

async function rpc<T>(method: string, ...args: unknown[]): Promise<Outcome<T>> {
  const response = await env.RETRY_CALLER.fetch(`http://caller/rpc/${method}`, {
    method: "POST",
    body: JSON.stringify(args),
  });
  return { status: response.status, ...(await json<Omit<Outcome<T>, "status">>(response)) };
}

const KEY = "rpc-retry-key-0001";

describe("RPC processClips with an idempotency key", () => {
  it("a repeated call answers the first one's task; another input under the key is refused", async () => {
    const input = { clip_ids: ["tone-rpcidem"], background: true };
    const first = await rpc<ProcessClipsResponse>("processClips", input, null, { idempotencyKey: KEY });
    expect(first.value?.task_id).toEqual(expect.any(String));
    const again = await rpc<ProcessClipsResponse>("processClips", input, null, { idempotencyKey: KEY });
    expect(again.value).toEqual(first.value);
    // One task for this caller, not two.
    expect((await rpc<TaskStats>("taskStats")).value?.total_tasks).toBe(1);

    const other = await rpc("processClips", { clip_ids: ["tone-rpcidem2"] }, null, { idempotencyKey: KEY });
    expect(other.error).toEqual({ status: 422, detail: "X-Idempotency-Key was already used with a different body" });
  });

  it("a malformed key is refused with the header's message", async () => {
    const bad = await rpc("processClips", { clip_ids: ["tone-rpcidem"] }, null, { idempotencyKey: "short" });
    expect(bad.error).toEqual({ status: 400, detail: "X-Idempotency-Key must be 16-64 letters, digits or hyphens" });
  });

  it("the caller's keys are its own: the same key over HTTP does its own work", async () => {
    const response = await call("/process-clips", {
      body: { clip_ids: ["tone-rpcidem3"], background: true },
      headers: { "X-Idempotency-Key": KEY },
    });
    expect(response.status).toBe(202);
    expect(response.headers.get("Idempotent-Replayed")).toBeNull();
  });
});
