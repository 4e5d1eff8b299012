/**
 * The example caller Worker (examples/recap-caller) beside the service in one `wrangler dev`
 * (`-c examples/recap-caller/wrangler.toml -c wrangler.toml`, scripts/stack.ts `frontConfig`),
 * with s3rver (a test double of S3), the engine process and the local fixture server. The
 * caller reaches clip-audio only through its service binding to ClipAudioService (props
 * `{ caller = "recap" }`): RPC methods without HMAC, and the signed HTTP API passed on.
 */
import { describe, expect, it } from "vitest";
import { signRequest } from "../../shared/hmac.ts";
import type { Task, TaskStats } from "../../shared/schemas.ts";
import { stackBed } from "../support/stack-bed.ts";

const SECRET = "e2e-rpc-secret-0123456789";
const bed = stackBed(SECRET, { frontConfig: "examples/recap-caller/wrangler.toml" });

async function rpc<T>(method: string, ...args: unknown[]) {
  const response = await fetch(`${bed.stack.urls.worker}/rpc/${method}`, {
    method: "POST",
    body: JSON.stringify(args),
  });
  const body = (await response.json()) as { value?: T; error?: { status: number; detail: string } };
  return { status: response.status, ...body };
}

describe("a caller Worker beside the service under wrangler dev", () => {
  it("runs a recap's clip through the binding: processed and ready for transcription", async () => {
    const response = await fetch(`${bed.stack.urls.worker}/recap`, {
      method: "POST",
      body: JSON.stringify({ clip_ids: ["tone-e2e-rpc"] }),
    });
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({
      message: "Processed 1/1 clips successfully",
      ready: ["tone-e2e-rpc"],
      chunks: { "tone-e2e-rpc": 0 },
    });
  });

  it("in the background: the caller's listener hears the task end; waitForTask returns it", async () => {
    const response = await fetch(`${bed.stack.urls.worker}/recap/background`, {
      method: "POST",
      body: JSON.stringify({ clip_ids: ["tone-e2e-rpcbg"] }),
    });
    const heard = (await response.json()) as { task_id: string; status: string; successful: number };
    expect(heard).toMatchObject({ status: "completed", successful: 1 });
    const waited = await rpc<Task>("waitForTask", heard.task_id, { timeoutSeconds: 5 });
    expect(waited.value).toMatchObject({ task_id: heard.task_id, status: "completed", clip_ids: ["tone-e2e-rpcbg"] });
  });

  it("errors cross the binding with the contract's status and message", async () => {
    expect(await rpc("processClips", { clip_ids: [] })).toEqual({
      status: 400,
      error: { status: 400, detail: "No clip IDs provided" },
    });
  });

  it("passes the signed HTTP API on through the same binding", async () => {
    const response = await fetch(`${bed.stack.urls.worker}/api/tasks/stats`, {
      headers: await signRequest(SECRET, ""),
    });
    expect(response.status).toBe(200);
    // The HTTP door sees every task, the recap caller's background task among them.
    expect(((await response.json()) as TaskStats).total_tasks).toBeGreaterThanOrEqual(1);
    expect((await fetch(`${bed.stack.urls.worker}/api/tasks/stats`)).status).toBe(401);
  });
});
