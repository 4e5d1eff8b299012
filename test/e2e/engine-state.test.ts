/**
 * The stack with the engine on the host (`npm start` without Docker) after a run with the
 * engine in Docker in the same data directory. That run's AudioEngine Durable Objects have
 * alarms (the Container class schedules them); with containers off each one fails in the
 * class's constructor, "Containers have not been enabled for this Durable Object class", retried
 * and logged again and again. startStack removes them first (scripts/engine-state.ts).
 *
 * No Docker run here: the alarm is written where workerd keeps alarms (the namespace's
 * metadata.sqlite, table _cf_ALARM, under the id workerd derives from the instance's name), as
 * a Docker run leaves it. The second test shows that such an alarm does raise the error when
 * nothing removes it (a worker restarted within the stack), so the first cannot pass vacuously.
 */
import { createHash, createHmac } from "node:crypto";
import { mkdirSync } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { DatabaseSync } from "node:sqlite";
import { afterAll, beforeAll, expect, it } from "vitest";
import { freePort, type Stack, startStack } from "../../scripts/stack.ts";

const CONTAINERS_OFF = "Containers have not been enabled for this Durable Object class";
/** wrangler's Durable Object namespace for the AudioEngine class of the Worker `clip-audio`. */
const ENGINE_NAMESPACE = "clip-audio-AudioEngine";

let dataDir: string;
let stack: Stack;
const lines: string[] = [];

/** The id workerd gives `idFromName(name)` in a namespace: HMAC-SHA256 of the name, then of that half. */
function actorId(namespace: string, name: string): string {
  const key = createHash("sha256").update(namespace).digest();
  const base = createHmac("sha256", key).update(name).digest().subarray(0, 16);
  const mac = createHmac("sha256", key).update(base).digest().subarray(0, 16);
  return Buffer.concat([base, mac]).toString("hex");
}

/** An alarm due now for the engine instance `engine-0`, where a Docker run leaves it. */
function leaveEngineAlarm(): void {
  const dir = join(dataDir, "wrangler/v3/do", ENGINE_NAMESPACE);
  mkdirSync(dir, { recursive: true });
  const db = new DatabaseSync(join(dir, "metadata.sqlite"));
  try {
    db.exec(
      "CREATE TABLE IF NOT EXISTS _cf_ALARM (actor_id TEXT PRIMARY KEY, scheduled_time INTEGER, actor_name TEXT) WITHOUT ROWID",
    );
    db.prepare("INSERT OR REPLACE INTO _cf_ALARM VALUES (?, ?, ?)").run(
      actorId(ENGINE_NAMESPACE, "engine-0"),
      Date.now() - 1_000,
      "engine-0",
    );
  } finally {
    db.close();
  }
}

const logged = () => lines.filter((line) => line.includes(CONTAINERS_OFF));

beforeAll(async () => {
  dataDir = await mkdtemp(join(tmpdir(), "clip-audio-engine-state-"));
  leaveEngineAlarm();
  const [worker, container, bucket, inspector] = await Promise.all([freePort(), freePort(), freePort(), freePort()]);
  stack = await startStack({
    ports: { worker, container, bucket, inspector },
    dataDir,
    env: { HMAC_SHARED_SECRET: "engine-state-secret-0123456789" },
    log: (name, line) => lines.push(`[${name}] ${line}`),
  });
}, 120_000);

afterAll(async () => {
  await stack?.stop();
  if (dataDir) await rm(dataDir, { recursive: true, force: true });
});

it("starts with the engine on the host without a word about containers, whatever a Docker run left", async () => {
  // A due alarm fires as workerd starts; give it time to (not) fail.
  await new Promise((r) => setTimeout(r, 5_000));
  expect(logged()).toEqual([]);
  const health = await fetch(`${stack.urls.worker}/health`);
  expect(((await health.json()) as { status: string }).status).toBe("healthy");
});

it("(the check above is not vacuous) such an alarm fails in the Container class when nothing removes it", async () => {
  await stack.stopService("worker");
  leaveEngineAlarm();
  await stack.restartService("worker"); // relaunches wrangler only: nothing is removed
  const deadline = Date.now() + 20_000;
  while (logged().length === 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 250));
  expect(logged().length).toBeGreaterThan(0);
}, 60_000);
