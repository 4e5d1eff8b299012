/**
 * Background tasks: one record each, newest first, with counts by status. `caller` (the RPC
 * door's binding name) limits each operation to that caller's tasks; the HTTP API passes none.
 */
import { PageLimit, type Task, type TaskDeleted, type TaskList, type TaskStats } from "../../../shared/schemas.ts";
import { ApiError } from "../errors.ts";
import type { OperationContext } from "./context.ts";

export const taskStore = (env: Env) => env.TASKS.get(env.TASKS.idFromName("tasks"));

export type { TaskDeleted };

export async function getTask({ env }: OperationContext, taskId: string, caller?: string): Promise<Task> {
  const task = await taskStore(env).get(taskId, caller);
  if (!task) throw new ApiError(404, "Task not found");
  return task;
}

export async function deleteTask({ env }: OperationContext, taskId: string, caller?: string): Promise<TaskDeleted> {
  const outcome = await taskStore(env).delete(taskId, caller);
  if (outcome === "missing") throw new ApiError(404, "Task not found");
  if (outcome === "running") throw new ApiError(409, "Task is still running; it can be deleted once it has finished");
  return { task_id: taskId, deleted: true, message: `Task ${taskId} deleted` };
}

/** `limit` as a query gives it (a string, maybe empty) or as a number; read as PageLimit reads it. */
export async function listTasks(
  { env }: OperationContext,
  limit?: string | number,
  caller?: string,
): Promise<TaskList> {
  return taskStore(env).list(PageLimit.parse(limit), caller);
}

export async function taskStats({ env }: OperationContext, caller?: string): Promise<TaskStats> {
  return taskStore(env).stats(caller);
}

/** How long one wait may last: long enough for a clip, short of holding a call open indefinitely. */
export const MAX_WAIT_SECONDS = 300;

/** The task once it has ended, or as it is after `timeoutSeconds` (1..MAX_WAIT_SECONDS, default 60). */
export async function waitForTask(
  { env }: OperationContext,
  taskId: string,
  timeoutSeconds = 60,
  caller?: string,
): Promise<Task> {
  const seconds = Number.isFinite(timeoutSeconds) ? Math.min(MAX_WAIT_SECONDS, Math.max(1, timeoutSeconds)) : 60;
  const task = await taskStore(env).waitForEnd(taskId, seconds * 1000, caller);
  if (!task) throw new ApiError(404, "Task not found");
  return task;
}
