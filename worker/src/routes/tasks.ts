/** The task routes; the work is in ../operations/tasks.ts, shared with the RPC entrypoint. */
import { createRoute } from "@hono/zod-openapi";
import { z } from "zod";
import { TasksQuery } from "../../../shared/schemas.ts";
import { requestContext } from "../operations/context.ts";
import { deleteTask, getTask, listTasks, taskStats } from "../operations/tasks.ts";
import { Body, error, json, queryValue, routes, signed, signedResponses } from "./openapi.ts";

export const tasks = routes();

const taskIdParams = z.object({ task_id: z.string().meta({ description: "A background task's `task_id`" }) });
const notFound = error("`Task not found`");

const getRoute = createRoute({
  method: "get",
  path: "/task/{task_id}",
  summary: "A background task",
  ...signed,
  request: { params: taskIdParams },
  responses: { 200: json(Body.Task, "The task"), 404: notFound, ...signedResponses },
});

tasks.openapi(getRoute, async (c) => c.json(await getTask(requestContext(c), c.req.valid("param").task_id), 200));

const deleteRoute = createRoute({
  method: "delete",
  path: "/task/{task_id}",
  summary: "Delete a finished task",
  ...signed,
  request: { params: taskIdParams },
  responses: {
    200: json(Body.TaskDeleted, "Deleted"),
    404: notFound,
    409: error("`Task is still running; it can be deleted once it has finished`"),
    ...signedResponses,
  },
});

tasks.openapi(deleteRoute, async (c) => c.json(await deleteTask(requestContext(c), c.req.valid("param").task_id), 200));

const listRoute = createRoute({
  method: "get",
  path: "/tasks",
  summary: "Recent tasks, newest first",
  ...signed,
  request: {
    query: z.object({
      limit: queryValue(TasksQuery.shape.limit).meta({
        type: "integer",
        minimum: 1,
        maximum: 1000,
        default: 50,
        description: "Clamped to 1..1000; blank or not an integer means 50",
      }),
    }),
  },
  responses: { 200: json(Body.TaskList, "Tasks, newest first"), ...signedResponses },
});

tasks.openapi(listRoute, async (c) => c.json(await listTasks(requestContext(c), c.req.valid("query").limit), 200));

const statsRoute = createRoute({
  method: "get",
  path: "/tasks/stats",
  summary: "Task counts by status",
  ...signed,
  responses: { 200: json(Body.TaskStats, "Counts by status"), ...signedResponses },
});

tasks.openapi(statsRoute, async (c) => c.json(await taskStats(requestContext(c)), 200));
