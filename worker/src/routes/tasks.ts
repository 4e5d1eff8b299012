/** The task routes; the work is in ../operations/tasks.ts, shared with the RPC entrypoint. */
import { Hono } from "hono";
import { requestContext } from "../operations/context.ts";
import { deleteTask, getTask, listTasks, taskStats } from "../operations/tasks.ts";
import type { AppEnv } from "../types.ts";

export const tasks = new Hono<AppEnv>();

tasks.get("/task/:taskId", async (c) => c.json(await getTask(requestContext(c), c.req.param("taskId"))));

tasks.delete("/task/:taskId", async (c) => c.json(await deleteTask(requestContext(c), c.req.param("taskId"))));

tasks.get("/tasks", async (c) => c.json(await listTasks(requestContext(c), c.req.query("limit"))));

tasks.get("/tasks/stats", async (c) => c.json(await taskStats(requestContext(c))));
