/**
 * The work behind each operation of the table (./api.ts), whichever door the call came in by.
 * A missing or mistyped implementation is a type error: the table's types name what each
 * one takes and answers.
 */
import type { z } from "zod";
import { ApiError } from "../errors.ts";
import {
  type Api,
  api,
  type Input,
  type OperationName,
  type OperationSpec,
  type Output,
  type RawRequest,
} from "./api.ts";
import { cleanup, clipStatus, listProcessedClips, processClips } from "./clips.ts";
import type { OperationContext } from "./context.ts";
import { health } from "./health.ts";
import { deleteTask, getTask, listTasks, taskStats } from "./tasks.ts";

/** A result and the status it is answered with over HTTP (the RPC door keeps only the result). */
export interface Answer<K extends OperationName> {
  status: keyof Api[K]["answers"];
  response: Output<K>;
}

/** `caller`: the RPC door's calling Worker, which owns its tasks; the HTTP API passes none. */
type Implementation<K extends OperationName> = (
  context: OperationContext,
  input: Input<K>,
  caller?: string,
) => Promise<Answer<K>>;

const ok = async <T>(response: Promise<T>) => ({ status: 200 as const, response: await response });

export const implementations: { [K in OperationName]: Implementation<K> } = {
  processClips: (context, { body }, caller) =>
    processClips(context, body, { caller, onIds: (ids) => context.onClipIds?.(ids) }),
  clipStatus: (context, { params }) => ok(clipStatus(context, params.clip_id)),
  listProcessedClips: (context, { query }) => ok(listProcessedClips(context, query)),
  cleanup: (context, { params, query }) =>
    cleanup(context, params.clip_id, { dryRun: query.dry_run, confirm: query.confirm }),
  task: (context, { params }, caller) => ok(getTask(context, params.task_id, caller)),
  deleteTask: (context, { params }, caller) => ok(deleteTask(context, params.task_id, caller)),
  tasks: (context, { query }, caller) => ok(listTasks(context, query.limit, caller)),
  taskStats: (context, _input, caller) => ok(taskStats(context, caller)),
  health: async (context) => {
    const body = await health(context);
    return { status: body.status === "healthy" ? 200 : 503, response: body };
  },
};

/** One part of a request read by its schema; a failure is the 400 the route's validation gives. */
function readPart(schema: z.ZodType | undefined, value: unknown): Record<string, unknown> {
  if (!schema) return {};
  const parsed = schema.safeParse(value ?? {});
  if (!parsed.success) throw new ApiError(400, parsed.error.issues[0]?.message ?? "Invalid request");
  return parsed.data as Record<string, unknown>;
}

/** A request made of RPC arguments, read by the same schemas as the route reads the HTTP request. */
export function readRequest<K extends OperationName>(name: K, raw: RawRequest): Input<K> {
  const spec: OperationSpec = api[name];
  return {
    params: readPart(spec.params, raw.params),
    query: readPart(spec.query, raw.query),
    body: raw.body,
  } as Input<K>;
}
