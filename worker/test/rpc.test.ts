/**
 * The RPC door across a real service binding: the example caller Worker
 * (examples/recap-caller) runs as auxiliary Workers beside the Worker under test, each bound to
 * the ClipAudioService entrypoint with its own props (worker/vitest.config.ts). The tests reach
 * a caller over its own HTTP face; it calls clip-audio's methods through its binding.
 */
import { runDurableObjectAlarm } from "cloudflare:test";
import { env, exports, RpcTarget } from "cloudflare:workers";
import { describe, expect, it, vi } from "vitest";
import type { CleanupResponse, ClipStatus, ProcessClipsResponse, Task, TaskStats } from "../../shared/schemas.ts";
import { LISTENER_MAX_MS, MISSING_CALLER } from "../src/rpc.ts";
import { ClipAudioRpcError } from "../src/rpc-error.ts";
import { call, json } from "./helpers.ts";

const SUFFIX = "Clip IDs must contain only alphanumeric characters, hyphens, and underscores.";

interface Outcome<T> {
  status: number;
  value?: T;
  error?: { status: number; detail: string };
  retryAfter: string | null;
}

/** Calls `method(...args)` on clip-audio through `caller`'s binding. */
async function rpc<T>(caller: Fetcher, method: string, ...args: unknown[]): Promise<Outcome<T>> {
  const response = await caller.fetch(`http://caller/rpc/${method}`, { method: "POST", body: JSON.stringify(args) });
  const body = await json<{ value?: T; error?: { status: number; detail: string } }>(response);
  return { status: response.status, ...body, retryAfter: response.headers.get("Retry-After") };
}

async function waitForTask(taskId: string, clipId: string): Promise<Task> {
  return vi.waitFor(
    async () => {
      // Over the signed HTTP API: the same task, seen through the other door.
      const task = await json<Task>(await call(`/task/${taskId}`));
      if (task.status === "completed" || task.status === "failed") return task;
      await runDurableObjectAlarm(env.CLIP_JOBS.get(env.CLIP_JOBS.idFromName(clipId)));
      throw new Error(`task ${taskId} is ${task.status}`);
    },
    { timeout: 15_000, interval: 100 },
  );
}

// Each caller has the default window (10 calls a minute): RECAP_CALLER makes 9 calls in this
// file, DIGEST_CALLER 5, FLOOD_CALLER exhausts its own.
describe("RPC through a service binding", () => {
  it("a caller Worker processes a fixture clip end to end and reads its status", async () => {
    const response = await env.RECAP_CALLER.fetch("http://caller/recap", {
      method: "POST",
      body: JSON.stringify({ clip_ids: ["tone-rpc"] }),
    });
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({
      message: "Processed 1/1 clips successfully",
      ready: ["tone-rpc"],
      chunks: { "tone-rpc": 0 },
    });
    // The same clip through the HTTP door: one implementation.
    const status = await json<ClipStatus>(await call("/clip-status/tone-rpc"));
    expect(status).toMatchObject({ state: "completed", audio_processed: true });
  });

  it("failures arrive as the contract's status and message (ClipAudioRpcError.from)", async () => {
    expect(await rpc(env.RECAP_CALLER, "processClips", { clip_ids: ["ok", "clip@123"] })).toMatchObject({
      status: 400,
      error: { status: 400, detail: `Invalid clip ID(s): clip@123 (contains invalid characters). ${SUFFIX}` },
    });
    const wrongType = await rpc(env.RECAP_CALLER, "processClips", { clip_ids: "abc" });
    expect(wrongType.error?.detail).toMatch(/^Invalid request body: clip_ids: /);
    expect(await rpc(env.RECAP_CALLER, "task", "no-such-task")).toMatchObject({
      status: 404,
      error: { status: 404, detail: "Task not found" },
    });
  });

  it("a background call returns its task id at once; the task is its caller's", async () => {
    const started = await rpc<ProcessClipsResponse>(env.DIGEST_CALLER, "processClips", {
      clip_ids: ["tone-rpcbg"],
      background: true,
    });
    expect(started.value).toMatchObject({ success: true, message: "Processing 1 clips in background", results: null });
    const taskId = started.value?.task_id as string;
    const task = await waitForTask(taskId, "tone-rpcbg");
    expect(task).toMatchObject({ status: "completed", results: { total: 1, successful: 1 } });
    expect((await rpc<Task>(env.DIGEST_CALLER, "task", taskId)).value).toEqual(task);
    // Another caller's tasks are not this one's: not found, not counted.
    expect((await rpc(env.RECAP_CALLER, "task", taskId)).error).toEqual({ status: 404, detail: "Task not found" });
    const stats = await rpc<TaskStats>(env.DIGEST_CALLER, "taskStats");
    expect(stats.value?.total_tasks).toBe(1);
  });

  it("a listener passed with a background call hears the ended task; waitForTask waits for it", async () => {
    const response = await env.DIGEST_CALLER.fetch("http://caller/recap/background", {
      method: "POST",
      body: JSON.stringify({ clip_ids: ["tone-rpclive"] }),
    });
    const heard = await json<{ task_id: string; status: string; successful: number }>(response);
    expect(heard).toMatchObject({ status: "completed", successful: 1 });
    // Already ended: waitForTask answers at once with the same task.
    const waited = await rpc<Task>(env.DIGEST_CALLER, "waitForTask", heard.task_id, { timeoutSeconds: 5 });
    expect(waited.value).toMatchObject({ task_id: heard.task_id, status: "completed" });
  });

  it("a task that outlasts what waitUntil allows: the listener hears it still running at 25 s, then waitForTask", async () => {
    // The slow clip times out (3 s here) and is retried after 5 s and 20 s: its task ends after
    // about 34 s, past the 25 s clip-audio may wait once the call has answered.
    class Listener extends RpcTarget {
      readonly heard: Promise<Task>;
      #resolve: (task: Task) => void = () => undefined;
      constructor() {
        super();
        this.heard = new Promise((resolve) => (this.#resolve = resolve));
      }
      taskEnded(task: Task) {
        this.#resolve(task);
      }
    }
    const service = exports.ClipAudioService({ props: { caller: "listener-test" } });
    const listener = new Listener();
    const started = Date.now();
    const response = await service.processClips({ clip_ids: ["slow-rpclong"], background: true }, listener);
    const heard = await listener.heard;
    const waited = Date.now() - started;
    expect(heard).toMatchObject({ task_id: response.task_id, completed_at: null });
    expect(waited).toBeGreaterThanOrEqual(LISTENER_MAX_MS - 1_000);
    expect(waited).toBeLessThan(30_000);
    const ended = await service.waitForTask(response.task_id as string, { timeoutSeconds: 60 });
    expect(ended).toMatchObject({ status: "failed" });
  }, 90_000);

  it("cleanup's dry run lists the clip's objects", async () => {
    const dry = await rpc<CleanupResponse>(env.RECAP_CALLER, "cleanup", "tone-rpc");
    expect(dry.value).toMatchObject({
      clip_id: "tone-rpc",
      dry_run: true,
      message: "Dry run - no files were actually deleted",
    });
    expect(dry.value?.files_to_delete).toEqual(expect.arrayContaining(["audio/tone-rpc.wav", "audio/tone-rpc.json"]));
    expect(await rpc(env.RECAP_CALLER, "cleanup", "tone-rpc", { dryRun: false })).toMatchObject({
      status: 400,
      error: { detail: "Actual deletion requires confirm=true parameter. Use dry_run=true for preview." },
    });
  });

  it("refuses a binding without a caller name, for every method", async () => {
    for (const method of ["health", "taskStats", "processClips"]) {
      const args = method === "processClips" ? [{ clip_ids: ["tone-anon"] }] : [];
      expect(await rpc(env.ANONYMOUS_CALLER, method, ...args)).toMatchObject({
        status: 401,
        error: { status: 401, detail: MISSING_CALLER },
      });
    }
  });

  it("rate-limits each caller on its own: one caller's flood leaves another untouched", async () => {
    const statuses: number[] = [];
    for (let i = 0; i < 10; i++) statuses.push((await rpc(env.FLOOD_CALLER, "taskStats")).status);
    expect(statuses).toEqual(Array(10).fill(200));
    const limited = await rpc(env.FLOOD_CALLER, "taskStats");
    expect(limited).toMatchObject({ status: 429, error: { status: 429, detail: "Rate limit exceeded" } });
    expect(Number(limited.retryAfter)).toBeGreaterThan(0);
    // Health is open on this door too, as over HTTP.
    expect((await rpc(env.FLOOD_CALLER, "health")).status).toBe(200);
    expect((await rpc(env.RECAP_CALLER, "taskStats")).status).toBe(200);
  });
});

describe("ClipAudioRpcError", () => {
  it("reads status, message and retry time back from what crossed the boundary", () => {
    const crossed = new Error(new ClipAudioRpcError(429, "Rate limit exceeded", 42).message);
    expect(ClipAudioRpcError.from(crossed)).toMatchObject({
      status: 429,
      detail: "Rate limit exceeded",
      retryAfterSeconds: 42,
    });
    const plain = new Error(new ClipAudioRpcError(400, "No clip IDs provided").message);
    expect(ClipAudioRpcError.from(plain)).toMatchObject({
      status: 400,
      detail: "No clip IDs provided",
      retryAfterSeconds: null,
    });
    expect(ClipAudioRpcError.from(new Error("Network connection lost."))).toBeNull();
    expect(ClipAudioRpcError.from("clip-audio 400: not an Error")).toBeNull();
  });
});
