/** The TaskStore Durable Object driven directly: its table from a versioned migration, its rows validated on read. */
import { runInDurableObject } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { SCHEMA_VERSION_KEY } from "../src/durable/migrations.ts";

const store = () => env.TASKS.get(env.TASKS.idFromName("task-store-test"));

describe("TaskStore's storage", () => {
  it("is at version 1 from the start: the table holds each task's caller", async () => {
    const task = await store().create(["tone-ts-a"], "recap");
    expect(await store().get(task.task_id, "recap")).toMatchObject({ clip_ids: ["tone-ts-a"], status: "running" });
    expect(await store().get(task.task_id, "digest")).toBeNull();
    const stored = await runInDurableObject(store(), (_instance, state) => ({
      version: state.storage.kv.get(SCHEMA_VERSION_KEY),
      caller: state.storage.sql.exec("SELECT caller FROM tasks WHERE task_id = ?", task.task_id).one().caller,
    }));
    expect(stored).toEqual({ version: 1, caller: "recap" });
  });

  it("refuses a row whose stored results do not parse, naming the task and the field", async () => {
    const task = await store().create(["tone-ts-b"]);
    // Inside the object: a rejected call through a stub leaks an unhandled rejection (workers-sdk #14736).
    await runInDurableObject(store(), async (instance, state) => {
      state.storage.sql.exec(`UPDATE tasks SET results = '[{"clip_id": 7}]' WHERE task_id = ?`, task.task_id);
      await expect(instance.get(task.task_id)).rejects.toThrow(
        `Stored task ${task.task_id} is invalid (results.0.clip_id:`,
      );
    });
  });
});
