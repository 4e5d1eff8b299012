/**
 * Background tasks as durable records (SQLite), kept for TASK_RETENTION_HOURS after they end.
 * Touched only by the task routes and background requests, never by every request. A task
 * made through the RPC entrypoint records its caller (the binding's `props.caller`); that
 * caller's RPC calls see only its own tasks (`caller` given), the HMAC-signed HTTP API sees all.
 */
import { DurableObject } from "cloudflare:workers";
import { z } from "zod";
import {
  ClipResult,
  type ProcessResults,
  type Task,
  type TaskStats,
  type TaskStatus,
} from "../../../shared/schemas.ts";
import { loadConfig } from "../config.ts";
import { type Migration, migrate } from "./migrations.ts";

/** A row as SQLite holds it: lists as JSON text. */
type Row = Omit<Task, "clip_ids" | "results"> & { clip_ids: string; results: string; caller: string | null };

/** A row's JSON columns, validated on read: a row that does not parse is an error, not a guess. */
const StoredLists = z.object({
  clip_ids: z.array(z.string()),
  results: z.array(ClipResult),
});

function lists(row: Row): z.infer<typeof StoredLists> {
  const parsed = StoredLists.safeParse({ clip_ids: JSON.parse(row.clip_ids), results: JSON.parse(row.results) });
  if (parsed.success) return parsed.data;
  const issues = parsed.error.issues.slice(0, 3).map((issue) => `${issue.path.join(".")}: ${issue.message}`);
  throw new Error(`Stored task ${row.task_id} is invalid (${issues.join("; ")})`);
}

/** The task table's versions (./migrations.ts). 1: the table. */
export const TASK_STORE_MIGRATIONS: readonly Migration[] = [
  (storage) =>
    storage.sql.exec(`CREATE TABLE IF NOT EXISTS tasks (
      task_id TEXT PRIMARY KEY, status TEXT NOT NULL, clip_ids TEXT NOT NULL, created_at TEXT NOT NULL,
      started_at TEXT, completed_at TEXT, results TEXT NOT NULL DEFAULT '[]', error TEXT, caller TEXT)`),
];

/** Every task, or only `caller`'s: `WHERE ${OF_CALLER}` with the caller (or null) as ?1. */
const OF_CALLER = "(?1 IS NULL OR caller = ?1)";

function toTask(row: Row): Task {
  const { results, clip_ids: clipIds } = lists(row);
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
  const { caller: _caller, ...task } = row;
  return { ...task, clip_ids: clipIds, results: summary };
}

export class TaskStore extends DurableObject<Env> {
  /** Calls waiting in waitForEnd, by task: woken when the task ends (or their time is up). */
  readonly #waiters = new Map<string, Set<() => void>>();

  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env);
    migrate(ctx.storage, TASK_STORE_MIGRATIONS);
  }

  #row(taskId: string, caller: string | null = null): Row | undefined {
    return this.ctx.storage.sql
      .exec<Row>(`SELECT * FROM tasks WHERE ${OF_CALLER} AND task_id = ?2`, caller, taskId)
      .toArray()[0];
  }

  async create(clipIds: string[], caller: string | null = null): Promise<Task> {
    const taskId = crypto.randomUUID();
    const now = new Date().toISOString();
    this.ctx.storage.sql.exec(
      "INSERT INTO tasks (task_id, status, clip_ids, created_at, started_at, caller) VALUES (?, 'running', ?, ?, ?, ?)",
      taskId,
      JSON.stringify(clipIds),
      now,
      now,
      caller,
    );
    return toTask(this.#row(taskId) as Row);
  }

  async get(taskId: string, caller: string | null = null): Promise<Task | null> {
    const row = this.#row(taskId, caller);
    return row ? toTask(row) : null;
  }

  async list(limit: number, caller: string | null = null): Promise<{ tasks: Task[]; total: number }> {
    const sql = this.ctx.storage.sql;
    const rows = sql
      .exec<Row>(`SELECT * FROM tasks WHERE ${OF_CALLER} ORDER BY created_at DESC, rowid DESC LIMIT ?2`, caller, limit)
      .toArray();
    const total = sql.exec<{ n: number }>(`SELECT COUNT(*) AS n FROM tasks WHERE ${OF_CALLER}`, caller).one().n;
    return { tasks: rows.map(toTask), total };
  }

  async stats(caller: string | null = null): Promise<TaskStats> {
    const counts = { queued: 0, running: 0, completed: 0, failed: 0 };
    for (const row of this.ctx.storage.sql.exec<{ status: TaskStatus; n: number }>(
      `SELECT status, COUNT(*) AS n FROM tasks WHERE ${OF_CALLER} GROUP BY status`,
      caller,
    )) {
      counts[row.status] = row.n;
    }
    return { total_tasks: counts.queued + counts.running + counts.completed + counts.failed, by_status: counts };
  }

  async delete(taskId: string, caller: string | null = null): Promise<"deleted" | "running" | "missing"> {
    const row = this.#row(taskId, caller);
    if (!row) return "missing";
    if (row.status === "running" || row.status === "queued") return "running";
    this.ctx.storage.sql.exec("DELETE FROM tasks WHERE task_id = ?", taskId);
    return "deleted";
  }

  /** Records one clip's result; the task ends when every clip has one. */
  async clipFinished(taskId: string, result: ClipResult): Promise<void> {
    const row = this.#row(taskId);
    if (!row) return;
    const stored = lists(row);
    const results = stored.results.filter((r) => r.clip_id !== result.clip_id);
    results.push(result);
    const clipIds = stored.clip_ids;
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
    if (done) {
      for (const wake of this.#waiters.get(taskId) ?? []) wake();
      await this.#scheduleSweep();
    }
  }

  /**
   * The task once it has ended, or as it is after `timeoutMs`; null when there is no such task
   * (of `caller`). A waiting call keeps this object in memory, and every clip job reports its
   * end here, so the wake-up cannot be missed.
   */
  async waitForEnd(taskId: string, timeoutMs: number, caller: string | null = null): Promise<Task | null> {
    const row = this.#row(taskId, caller);
    if (!row || row.completed_at !== null) return row ? toTask(row) : null;
    await new Promise<void>((resolve) => {
      const waiters = this.#waiters.get(taskId) ?? new Set();
      this.#waiters.set(taskId, waiters);
      const wake = () => {
        clearTimeout(timer);
        waiters.delete(wake);
        if (waiters.size === 0) this.#waiters.delete(taskId);
        resolve();
      };
      const timer = setTimeout(wake, timeoutMs);
      waiters.add(wake);
    });
    return this.get(taskId, caller);
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
