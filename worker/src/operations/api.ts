/**
 * The API's operations, each written once: its HTTP route (method, path, parameters, body), the
 * schema of its result and the statuses it answers, and how the arguments of its RPC method and
 * of the typed client's method become a request. The routes (../routes/api.ts), the RPC door
 * (../rpc.ts) and the typed client (../client.ts) are all made from this table, and the work
 * behind each operation is in ./index.ts.
 *
 * Nothing of the Worker's runtime here: the typed client, which callers bundle, imports it.
 */
import { z } from "zod";
import { invalidClipIdMessage, parseClipId } from "../../../shared/clip-id.ts";
import * as schemas from "../../../shared/schemas.ts";

/** What a call of an operation sends, before the operation's schemas read it. */
export interface RawRequest {
  params?: Record<string, string>;
  query?: Record<string, string | number | boolean | undefined>;
  body?: unknown;
  /** X-Idempotency-Key over HTTP; only for an operation marked `idempotent`. */
  idempotencyKey?: string | undefined;
}

export type ResultStatus = 200 | 202 | 207 | 503;
export type ErrorStatus = 400 | 404 | 409 | 503;

export interface OperationSpec {
  method: "get" | "post" | "delete";
  /** OpenAPI's form (`{param}`); every route also answers under /api. */
  path: string;
  summary: string;
  /** No signature and no rate limit (the contract's open routes). */
  open?: true;
  /** Takes an idempotency key (HTTP: `X-Idempotency-Key`; RPC and client: `idempotencyKey`). */
  idempotent?: true;
  params?: z.ZodObject;
  query?: z.ZodObject;
  /**
   * A JSON body, described in the document but validated by the operation itself: the contract
   * reads any body as JSON whatever its Content-Type, and words each problem (./clips.ts).
   */
  body?: { name: string; schema: z.ZodType; description: string };
  /** The result, whatever status it is answered with. */
  result: z.ZodType;
  /** The statuses a result is answered with (not errors: a 207 or an unhealthy 503 is a result). */
  answers: Partial<Record<ResultStatus, string>>;
  /** The operation's own failures (admission's, the body limit's and the key's are added by the routes). */
  errors?: Partial<Record<ErrorStatus, string>>;
  /** The arguments of the RPC method and of the typed client's method, as a request. */
  call: (...args: never[]) => RawRequest;
}

/** A query value as `c.req.query(name)` reads it: the first when a name is repeated. */
export const queryValue = <T extends z.ZodType>(schema: T) =>
  z.preprocess((value) => (Array.isArray(value) ? value[0] : value), schema);

/**
 * A flag as the original read it from a query string (only `false` turns a default-true flag
 * off, only `true` turns a default-false one on), or as a boolean from an RPC argument.
 */
const flag = (defaultValue: boolean) =>
  queryValue(z.union([z.boolean(), z.string()]).optional())
    .transform((value) => (typeof value === "boolean" ? value : defaultValue ? value !== "false" : value === "true"))
    .meta({ type: "boolean", default: defaultValue });

const pageLimit = <T extends z.ZodType>(schema: T) =>
  queryValue(schema).meta({
    type: "integer",
    minimum: 1,
    maximum: 1000,
    default: 50,
    description: "Clamped to 1..1000; blank or not an integer means 50",
  });

/**
 * A clip id: a clip URL is reduced to its id, and a bad one fails with the contract's message,
 * which names the id and what is wrong with it (../../../shared/clip-id.ts).
 */
const ClipIdParam = z
  .string()
  .transform((raw, ctx) => {
    const parsed = parseClipId(raw);
    if (parsed.ok) return parsed.id;
    ctx.addIssue({ code: "custom", message: invalidClipIdMessage(raw) ?? "Invalid clip ID" });
    return z.NEVER;
  })
  .meta({
    description: "A clip id (letters, digits, `_`, `-`; at most 100) or a Twitch clip URL, URL-encoded",
    example: "AwkwardHelplessSalamanderSwiftRage",
  });
const clipIdParams = z.object({ clip_id: ClipIdParam });
const taskIdParams = z.object({ task_id: z.string().meta({ description: "A background task's `task_id`" }) });

const INVALID_CLIP_ID = "`Invalid clip ID(s): <id> (<why>). Clip IDs must contain only …`";
const STORAGE_DOWN = "`Storage service temporarily unavailable`";
const TASK_NOT_FOUND = "`Task not found`";

/** The result bodies as named components of the document (zod's own `.meta({ id })`). */
const Result = {
  ProcessClipsResponse: schemas.ProcessClipsResponse.meta({ id: "ProcessClipsResponse" }),
  ClipStatus: schemas.ClipStatus.meta({ id: "ClipStatus" }),
  ListProcessedResponse: schemas.ListProcessedResponse.meta({ id: "ListProcessedResponse" }),
  CleanupResponse: schemas.CleanupResponse.meta({ id: "CleanupResponse" }),
  Task: schemas.Task.meta({ id: "Task" }),
  TaskList: schemas.TaskList.meta({ id: "TaskList" }),
  TaskStats: schemas.TaskStats.meta({ id: "TaskStats" }),
  TaskDeleted: schemas.TaskDeleted.meta({ id: "TaskDeleted" }),
  Health: schemas.Health.meta({ id: "Health" }),
};

export const api = {
  /**
   * POST /process-clips: results at once, or (`background: true`) the task id at once. With an
   * `idempotencyKey`, a repeated call with the same input within 24 h answers the first call's
   * result instead of doing the work again.
   */
  processClips: {
    method: "post",
    path: "/process-clips",
    summary: "Process clips (sync, or background with a task)",
    idempotent: true,
    body: {
      name: "ProcessClipsRequest",
      schema: schemas.ProcessClipsRequest,
      description:
        "`clip_ids`: 1 to 10 clip ids (letters, digits, `_`, `-`; at most 100 characters) or Twitch clip " +
        "URLs, duplicates processed once; `callback_url`'s host must be in CALLBACK_HOSTS",
    },
    result: Result.ProcessClipsResponse,
    answers: {
      200: "Processed (some clips may have failed: see `results`)",
      202: "Accepted: processing in the background under `task_id`",
    },
    errors: {
      400:
        "`No clip IDs provided`, `Maximum 10 clips per request`, `Invalid clip ID(s): …`, " +
        "`Request body must be valid JSON`, `Invalid request body: <field>: <problem>`, a malformed X-Idempotency-Key",
    },
    call: (input: schemas.ProcessClipsInput, options: { idempotencyKey?: string } = {}) => ({
      body: input,
      idempotencyKey: options.idempotencyKey,
    }),
  },
  /** GET /clip-status/{clip_id}: a clip's artifacts and job state. */
  clipStatus: {
    method: "get",
    path: "/clip-status/{clip_id}",
    summary: "A clip's artifacts and job state",
    params: clipIdParams,
    result: Result.ClipStatus,
    answers: { 200: "The clip's state" },
    errors: { 400: INVALID_CLIP_ID, 503: STORAGE_DOWN },
    call: (clipId: string) => ({ params: { clip_id: clipId } }),
  },
  /** GET /list-processed-clips: clips whose audio is in the bucket (limit clamped to 1..1000, default 50). */
  listProcessedClips: {
    method: "get",
    path: "/list-processed-clips",
    summary: "Clips whose audio is in the bucket",
    query: z.object({
      limit: pageLimit(schemas.ListProcessedQuery.shape.limit),
      cursor: queryValue(schemas.ListProcessedQuery.shape.cursor).meta({
        type: "string",
        description: "The previous page's `cursor`",
      }),
    }),
    result: Result.ListProcessedResponse,
    answers: { 200: "A page of clip ids" },
    errors: { 400: "`Invalid cursor`", 503: STORAGE_DOWN },
    call: (options: { limit?: number; cursor?: string } = {}) => ({
      query: { limit: options.limit, cursor: options.cursor },
    }),
  },
  /**
   * DELETE /cleanup/{clip_id}: a dry run unless `{ dryRun: false, confirm: true }`. A partial
   * failure (HTTP 207) is a result with `failed_deletions`, not an error.
   */
  cleanup: {
    method: "delete",
    path: "/cleanup/{clip_id}",
    summary: "Delete every object of a clip (dry run by default)",
    params: clipIdParams,
    query: z.object({ dry_run: flag(true), confirm: flag(false) }),
    result: Result.CleanupResponse,
    answers: { 200: "Listed (dry run) or deleted", 207: "Some deletions failed" },
    errors: {
      400: "`Invalid clip ID(s): …`, or `Actual deletion requires confirm=true parameter. …`",
      409: "`Clip <id> is being processed; try again when it has finished`",
      503: STORAGE_DOWN,
    },
    call: (clipId: string, options: { dryRun?: boolean; confirm?: boolean } = {}) => ({
      params: { clip_id: clipId },
      query: { dry_run: options.dryRun, confirm: options.confirm },
    }),
  },
  /** GET /task/{task_id}: a background task (over RPC, this caller's only). */
  task: {
    method: "get",
    path: "/task/{task_id}",
    summary: "A background task",
    params: taskIdParams,
    result: Result.Task,
    answers: { 200: "The task" },
    errors: { 404: TASK_NOT_FOUND },
    call: (taskId: string) => ({ params: { task_id: taskId } }),
  },
  /** DELETE /task/{task_id}: a finished task (over RPC, this caller's only). */
  deleteTask: {
    method: "delete",
    path: "/task/{task_id}",
    summary: "Delete a finished task",
    params: taskIdParams,
    result: Result.TaskDeleted,
    answers: { 200: "Deleted" },
    errors: { 404: TASK_NOT_FOUND, 409: "`Task is still running; it can be deleted once it has finished`" },
    call: (taskId: string) => ({ params: { task_id: taskId } }),
  },
  /** GET /tasks: recent tasks, newest first (limit clamped to 1..1000, default 50; over RPC, this caller's). */
  tasks: {
    method: "get",
    path: "/tasks",
    summary: "Recent tasks, newest first",
    query: z.object({ limit: pageLimit(schemas.TasksQuery.shape.limit) }),
    result: Result.TaskList,
    answers: { 200: "Tasks, newest first" },
    call: (limit?: number) => ({ query: { limit } }),
  },
  /** GET /tasks/stats: task counts by status (over RPC, of this caller's tasks). */
  taskStats: {
    method: "get",
    path: "/tasks/stats",
    summary: "Task counts by status",
    result: Result.TaskStats,
    answers: { 200: "Counts by status" },
    call: () => ({}),
  },
  /** GET /health: not rate-limited; "unhealthy" (503) is a result, not an error. */
  health: {
    method: "get",
    path: "/health",
    summary: "Service health (open: no signature, not rate-limited)",
    open: true,
    result: Result.Health,
    answers: {
      200: "Healthy",
      503: "Unhealthy (`problems` says why): the bucket or the Durable Objects did not answer, or a production engine lacks bucket credentials",
    },
    call: () => ({}),
  },
} as const satisfies Record<string, OperationSpec>;

export type Api = typeof api;
export type OperationName = keyof Api;
export const OPERATION_NAMES = Object.keys(api) as OperationName[];

/** What an operation answers with. */
export type Output<K extends OperationName> = z.output<Api[K]["result"]>;

/** Its request as its schemas read it (the body is read by the operation itself). */
export interface Input<K extends OperationName> {
  params: Api[K] extends { params: z.ZodType } ? z.output<Api[K]["params"]> : Record<string, never>;
  query: Api[K] extends { query: z.ZodType } ? z.output<Api[K]["query"]> : Record<string, never>;
  body: unknown;
}

/** Every operation as a method: the typed client's, and the RPC door's. */
export type OperationMethods = {
  [K in OperationName]: (...args: Parameters<Api[K]["call"]>) => Promise<Output<K>>;
};

/** The paths of the open operations (no signature, no rate limit). */
export const OPEN_PATHS: readonly string[] = Object.values(api as Record<string, OperationSpec>)
  .filter((spec) => spec.open)
  .map((spec) => spec.path);
