/** Background tasks: one record each, newest first, with counts by status. */
import { Hono } from "hono";
import { ApiError } from "../errors.ts";
import type { AppEnv } from "../types.ts";

export const tasks = new Hono<AppEnv>();

const store = (env: Env) => env.TASKS.get(env.TASKS.idFromName("tasks"));

tasks.get("/task/:taskId", async (c) => {
  const task = await store(c.env).get(c.req.param("taskId"));
  if (!task) throw new ApiError(404, "Task not found");
  return c.json(task);
});

tasks.delete("/task/:taskId", async (c) => {
  const taskId = c.req.param("taskId");
  const outcome = await store(c.env).delete(taskId);
  if (outcome === "missing") throw new ApiError(404, "Task not found");
  if (outcome === "running") throw new ApiError(409, "Task is still running; it can be deleted once it has finished");
  return c.json({ task_id: taskId, deleted: true, message: `Task ${taskId} deleted` });
});

tasks.get("/tasks", async (c) => {
  const raw = Number(c.req.query("limit")?.trim() || 50);
  const limit = Number.isInteger(raw) ? Math.min(1000, Math.max(1, raw)) : 50;
  return c.json(await store(c.env).list(limit));
});

tasks.get("/tasks/stats", async (c) => c.json(await store(c.env).stats()));
