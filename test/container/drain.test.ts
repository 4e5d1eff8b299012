/**
 * A rollout, with the real image under the real `AudioEngine` class: every engine container
 * gets SIGTERM (as Cloudflare sends on a rollout) while a background job is downloading. The
 * engine drains: the job completes, the container exits by itself, and the next clip starts a
 * new container. Before, SIGTERM cancelled the job and the clip failed for good.
 */
import { execa } from "execa";
import { expect, inject, it, vi } from "vitest";
import { signRequest } from "../../shared/hmac.ts";
import type { ProcessClipsResponse, Task } from "../../shared/schemas.ts";
import { engineContainers } from "./engines.ts";

const secret = inject("secret");

async function api(path: string, body?: unknown): Promise<Response> {
  const text = body === undefined ? "" : JSON.stringify(body);
  const headers: Record<string, string> = {
    "CF-Connecting-IP": "198.51.100.200",
    ...(await signRequest(secret, text)),
  };
  if (text) headers["content-type"] = "application/json";
  return fetch(`${inject("workerUrl")}${path}`, {
    method: text ? "POST" : "GET",
    headers,
    ...(text ? { body: text } : {}),
  });
}

const task = async (id: string) => (await (await api(`/api/task/${id}`)).json()) as Task;
const downloads = async () =>
  ((await (await fetch(`${inject("fixtureUrl")}/__log`)).json()) as { downloads: number }).downloads;

async function ended(taskId: string): Promise<Task> {
  return vi.waitFor(
    async () => {
      const now = await task(taskId);
      if (now.status !== "completed" && now.status !== "failed") throw new Error(`task is ${now.status}`);
      return now;
    },
    { timeout: 120_000, interval: 500 },
  );
}

it("drains on SIGTERM: the job in flight completes, the container exits, the next clip gets a new one", async () => {
  const before = await downloads();
  const response = await api("/api/process-clips", { clip_ids: ["paced-ctr-drain"], background: true });
  const { task_id } = (await response.json()) as ProcessClipsResponse;
  // The media are being fetched (about 1.6 s at the fixture's pace): roll every engine out now.
  await vi.waitFor(
    async () => {
      if ((await downloads()) === before) throw new Error("not downloading yet");
    },
    { timeout: 120_000, interval: 50 },
  );
  const rolled = await engineContainers();
  expect((await task(task_id as string)).status).not.toBe("completed");
  await execa("docker", ["kill", "--signal", "TERM", ...rolled]);

  const done = await ended(task_id as string);
  expect(done.status).toBe("completed");
  expect(done.results?.results[0]).toMatchObject({ clip_id: "paced-ctr-drain", success: true, skipped: false });
  // Downloaded once: it finished in the drain, not started again.
  expect((await downloads()) - before).toBe(1);
  // The drained containers exit by themselves: at once when their jobs are done, or after
  // DRAIN_SECONDS (30 s here) when one is still running (another test's slow clip), which is then
  // cut off and started again on a new instance.
  await vi.waitFor(
    async () => {
      const still = (await engineContainers()).filter((id) => rolled.includes(id));
      if (still.length > 0) throw new Error(`still running: ${still.join(", ")}`);
    },
    { timeout: 50_000, interval: 250 },
  );

  const next = (await (await api("/api/process-clips", { clip_ids: ["tone-ctr-after-drain"] })).json()) as {
    results: { results: { success: boolean }[] };
  };
  expect(next.results.results[0]?.success).toBe(true);
  expect((await engineContainers()).some((id) => !rolled.includes(id))).toBe(true);
});
