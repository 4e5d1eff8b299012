/**
 * The table of operations (../src/operations/api.ts) makes all three doors: every operation is
 * a route of the app, a method of the RPC entrypoint and a method of the typed client, and
 * nothing else is. Each operation is then called through all three, with requests that change
 * nothing, and answers the same: the same result, or the same status and message.
 */
import { exports } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { app } from "../src/app.ts";
import { ClipAudioApiError, createClipAudioClient } from "../src/client.ts";
import { isConsolePath } from "../src/console/index.tsx";
import { ClipAudioService } from "../src/index.ts";
import { api, OPERATION_NAMES, type OperationName } from "../src/operations/api.ts";
import { ClipAudioRpcError } from "../src/rpc-error.ts";
import { call, newClientIp, SECRET } from "./helpers.ts";

type Outcome = { result: unknown } | { status: number; detail: string };

/** A result, or the failure's status and message, whichever door it came from. */
async function outcome(work: () => Promise<unknown>): Promise<Outcome> {
  try {
    return { result: await work() };
  } catch (error) {
    if (error instanceof ClipAudioApiError) return { status: error.status, detail: error.message };
    const rpc = ClipAudioRpcError.from(error);
    if (rpc) return { status: rpc.status, detail: rpc.detail };
    throw error;
  }
}

async function overHttp(method: string, path: string, body?: unknown): Promise<Outcome> {
  const response = await call(path, { method, ...(body === undefined ? {} : { body }) });
  const json = (await response.json()) as { detail?: string };
  const isResult = response.ok || response.status === 207 || path === "/health";
  return isResult ? { result: json } : { status: response.status, detail: json.detail ?? "" };
}

// Each caller its own client address, so the file's calls never meet the rate limit.
const client = createClipAudioClient(
  {
    fetch: (request) => {
      request.headers.set("CF-Connecting-IP", newClientIp());
      return exports.default.fetch(request);
    },
  },
  SECRET,
);
let callers = 0;
/** An RPC stub under a caller name of its own (each caller has its own window). */
function rpc() {
  callers++;
  return exports.ClipAudioService({ props: { caller: `ops-${callers}` } }) as unknown as Record<
    OperationName,
    (...args: unknown[]) => Promise<unknown>
  >;
}

/** A cursor past any clip id: a page that is empty, whatever else is in the bucket. */
const PAST_THE_END = btoa("audio/zzzzzzzzzzzzzzzzzzzz.wav").replace(/=+$/, "");
const NEVER = "opsNeverProcessed";

/** One call per operation that changes nothing: its arguments, and the same over HTTP. */
const CASES: Record<OperationName, { args: unknown[]; http: [string, string, unknown?] }> = {
  processClips: {
    args: [{ clip_ids: ["ok", "ab cd"] }],
    http: ["POST", "/api/process-clips", { clip_ids: ["ok", "ab cd"] }],
  },
  clipStatus: { args: [NEVER], http: ["GET", `/clip-status/${NEVER}`] },
  listProcessedClips: {
    args: [{ limit: 3, cursor: PAST_THE_END }],
    http: ["GET", `/list-processed-clips?limit=3&cursor=${PAST_THE_END}`],
  },
  cleanup: { args: [NEVER, { dryRun: false }], http: ["DELETE", `/cleanup/${NEVER}?dry_run=false`] },
  task: { args: ["ops-no-such-task"], http: ["GET", "/task/ops-no-such-task"] },
  deleteTask: { args: ["ops-no-such-task"], http: ["DELETE", "/api/task/ops-no-such-task"] },
  tasks: { args: [2], http: ["GET", "/tasks?limit=2"] },
  taskStats: { args: [], http: ["GET", "/tasks/stats"] },
  health: { args: [], http: ["GET", "/health"] },
};

/** What differs from one call to the next by design: the time of a live probe. */
function withoutClock(outcome: Outcome): Outcome {
  if (!("result" in outcome)) return outcome;
  const result = structuredClone(outcome.result) as { container?: { checked_at?: unknown } };
  if (result.container) result.container.checked_at = "<time>";
  return { result };
}

describe("the table of operations", () => {
  it("makes every route the API answers, every RPC method and every client method, and no other", () => {
    const routes = app.routes
      .filter((r) => r.method !== "ALL" && r.path !== "/openapi.json" && !isConsolePath(r.path))
      .map((r) => `${r.method} ${r.path.replace(/:([^/]+)/g, "{$1}")}`);
    expect([...new Set(routes)].sort()).toEqual(
      OPERATION_NAMES.map((name) => `${api[name].method.toUpperCase()} ${api[name].path}`).sort(),
    );
    const rpcMethods = Object.getOwnPropertyNames(Object.getPrototypeOf(ClipAudioService.prototype)).filter(
      (name) => name !== "constructor",
    );
    // waitForTask is the RPC door's own: a call that waits has no route.
    expect(rpcMethods.sort()).toEqual([...OPERATION_NAMES, "waitForTask"].sort());
    expect(Object.keys(client).sort()).toEqual([...OPERATION_NAMES].sort());
  });

  it.each(OPERATION_NAMES)("%s answers the same through the route, the client and the RPC method", async (name) => {
    const { args, http } = CASES[name];
    const [method, path, body] = http;
    const route = await overHttp(method, path, body);
    const typed = await outcome(() => (client[name] as (...a: unknown[]) => Promise<unknown>)(...args));
    const viaRpc = await outcome(() => rpc()[name](...args));
    expect(withoutClock(typed)).toEqual(withoutClock(route));
    // Over RPC a caller sees its own tasks only (a fresh caller: none); the HTTP API sees all.
    if (name === "tasks") expect(viaRpc).toEqual({ result: { tasks: [], total: 0 } });
    else if (name === "taskStats") {
      expect(viaRpc).toEqual({
        result: { total_tasks: 0, by_status: { queued: 0, running: 0, completed: 0, failed: 0 } },
      });
    } else expect(withoutClock(viaRpc)).toEqual(withoutClock(route));
  });

  it("compares failures too: the cases that fail reach the operation's own refusal", async () => {
    const failures = Object.fromEntries(
      await Promise.all(
        OPERATION_NAMES.map(async (name) => [
          name,
          await overHttp(...(CASES[name].http as [string, string, unknown?])),
        ]),
      ),
    );
    expect(failures.processClips).toMatchObject({
      status: 400,
      detail: expect.stringMatching(/^Invalid clip ID\(s\): ab cd/),
    });
    expect(failures.cleanup).toMatchObject({ status: 400, detail: expect.stringMatching(/^Actual deletion requires/) });
    expect(failures.task).toEqual({ status: 404, detail: "Task not found" });
    expect(failures.deleteTask).toEqual({ status: 404, detail: "Task not found" });
    expect(failures.listProcessedClips).toEqual({
      result: { clips: [], total_processed: 0, cursor: null, has_more: false },
    });
  });
});
