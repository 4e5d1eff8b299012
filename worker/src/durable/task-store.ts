/**
 * Background tasks as durable records (SQLite), kept for TASK_RETENTION_HOURS after they end.
 * Touched only by the task routes and background requests, never by every request.
 */
import { DurableObject } from "cloudflare:workers";
import type { ClipResult, ProcessResults, Task, TaskStats, TaskStatus } from "../../../shared/schemas.ts";
import { loadConfig } from "../config.ts";

type Row = {
  task_id: string;
  status: TaskStatus;
  clip_ids: string;
  created_at: string;
  started_at: string | null;
  completed_at: string | null;
  results: string;
  error: string | null;
};

function toTask(row: Row): Task {
  const results = JSON.parse(row.results) as ClipResult[];
  const clipIds = JSON.parse(row.clip_ids) as string[];
  const done = row.status === "completed" || row.status === "failed";
  const summary: ProcessResults | null =
    results.length > 0 || done
      ? {
          total: clipIds.length,
          successful: results.filter((r) => r.success).length,
          failed: results.filter((r) => !r.success).length,
          results,
        }
      : null;
  return { ...row, clip_ids: clipIds, results: summary };
}

export class TaskStore extends DurableObject<Env> {
  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env);
    ctx.storage.sql.exec(`CREATE TABLE IF NOT EXISTS tasks (
      task_id TEXT PRIMARY KEY, status TEXT NOT NULL, clip_ids TEXT NOT NULL, created_at TEXT NOT NULL,
      started_at TEXT, completed_at TEXT, results TEXT NOT NULL DEFAULT '[]', error TEXT)`);
  }

  #row(taskId: string): Row | undefined {
    return this.ctx.storage.sql.exec<Row>("SELECT * FROM tasks WHERE task_id = ?", taskId).toArray()[0];
  }

  async create(clipIds: string[]): Promise<Task> {
    const taskId = crypto.randomUUID();
    const now = new Date().toISOString();
    this.ctx.storage.sql.exec(
      "INSERT INTO tasks (task_id, status, clip_ids, created_at, started_at) VALUES (?, 'running', ?, ?, ?)",
      taskId,
      JSON.stringify(clipIds),
      now,
      now,
    );
    return toTask(this.#row(taskId) as Row);
  }

  async get(taskId: string): Promise<Task | null> {
    const row = this.#row(taskId);
    return row ? toTask(row) : null;
  }

  async list(limit: number): Promise<{ tasks: Task[]; total: number }> {
    const sql = this.ctx.storage.sql;
    const rows = sql.exec<Row>("SELECT * FROM tasks ORDER BY created_at DESC, rowid DESC LIMIT ?", limit).toArray();
    const total = sql.exec<{ n: number }>("SELECT COUNT(*) AS n FROM tasks").one().n;
    return { tasks: rows.map(toTask), total };
  }

  async stats(): Promise<TaskStats> {
    const counts = { queued: 0, running: 0, completed: 0, failed: 0 };
    for (const row of this.ctx.storage.sql.exec<{ status: TaskStatus; n: number }>(
      "SELECT status, COUNT(*) AS n FROM tasks GROUP BY status",
    )) {
      counts[row.status] = row.n;
    }
    return { total_tasks: counts.queued + counts.running + counts.completed + counts.failed, by_status: counts };
  }

  async delete(taskId: string): Promise<"deleted" | "running" | "missing"> {
    const row = this.#row(taskId);
    if (!row) return "missing";
    if (row.status === "running" || row.status === "queued") return "running";
    this.ctx.storage.sql.exec("DELETE FROM tasks WHERE task_id = ?", taskId);
    return "deleted";
  }

  /** Records one clip's result; the task ends when every clip has one. */
  async clipFinished(taskId: string, result: ClipResult): Promise<void> {
    const row = this.#row(taskId);
    if (!row) return;
    const results = (JSON.parse(row.results) as ClipResult[]).filter((r) => r.clip_id !== result.clip_id);
    results.push(result);
    const clipIds = JSON.parse(row.clip_ids) as string[];
    const done = clipIds.every((id) => results.some((r) => r.clip_id === id));
    const failed = results.filter((r) => !r.success);
    const status: TaskStatus = done ? (failed.length > 0 ? "failed" : "completed") : "running";
    const error = done && failed.length > 0 ? `${failed.length} of ${clipIds.length} clips failed` : null;
    this.ctx.storage.sql.exec(
      "UPDATE tasks SET results = ?, status = ?, completed_at = ?, error = ? WHERE task_id = ?",
      JSON.stringify(results),
      status,
      done ? new Date().toISOString() : null,
      error,
      taskId,
    );
    if (done) await this.#scheduleSweep();
  }

  async #scheduleSweep(): Promise<void> {
    if ((await this.ctx.storage.getAlarm()) === null) await this.ctx.storage.setAlarm(Date.now() + this.#retentionMs());
  }

  #retentionMs(): number {
    const loaded = loadConfig(this.env);
    return (loaded.ok ? loaded.config.TASK_RETENTION_HOURS : 72) * 3600 * 1000;
  }

  override async alarm(): Promise<void> {
    const cutoff = new Date(Date.now() - this.#retentionMs()).toISOString();
    this.ctx.storage.sql.exec("DELETE FROM tasks WHERE completed_at IS NOT NULL AND completed_at <= ?", cutoff);
    const left = this.ctx.storage.sql
      .exec<{ n: number }>("SELECT COUNT(*) AS n FROM tasks WHERE completed_at IS NOT NULL")
      .one().n;
    if (left > 0) await this.ctx.storage.setAlarm(Date.now() + this.#retentionMs());
  }
}
