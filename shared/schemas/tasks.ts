/** Background tasks: GET /tasks, GET and DELETE /task/{task_id}, GET /task-stats. */
import { z } from "zod";
import { ProcessResults } from "./clips.ts";

export const TaskStatus = z.enum(["queued", "running", "completed", "failed"]);
export type TaskStatus = z.infer<typeof TaskStatus>;

export const Task = z.object({
  task_id: z.string(),
  status: TaskStatus,
  clip_ids: z.array(z.string()),
  created_at: z.string(),
  started_at: z.string().nullable(),
  completed_at: z.string().nullable(),
  results: ProcessResults.nullable(),
  error: z.string().nullable(),
});
export type Task = z.infer<typeof Task>;

export const TaskList = z.object({ tasks: z.array(Task), total: z.number().int() });
export type TaskList = z.infer<typeof TaskList>;

/** DELETE /task/{task_id}. */
export const TaskDeleted = z.object({ task_id: z.string(), deleted: z.literal(true), message: z.string() });
export type TaskDeleted = z.infer<typeof TaskDeleted>;

export const TaskStats = z.object({
  total_tasks: z.number().int(),
  by_status: z.object({
    queued: z.number().int(),
    running: z.number().int(),
    completed: z.number().int(),
    failed: z.number().int(),
  }),
});
export type TaskStats = z.infer<typeof TaskStats>;
