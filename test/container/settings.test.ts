/**
 * A setting changed under a running container (issue 20, point 5): `wrangler dev` reloads the
 * Worker with a rotated HMAC_SHARED_SECRET while the engine's container keeps running with the
 * old one, as a deployed container does after `wrangler secret put`. The next job carries the
 * new settings fingerprint, the engine answers 409, the Worker restarts that instance
 * (AudioEngine.restartForSettings: SIGTERM) and the clip completes on a container started with
 * the new secret. Before this, the engine answered 401 until the clip failed for good.
 *
 * Its own stack (not the tier's shared one, whose secret the other files use). wrangler dev
 * watches only its configuration file, not the --env-file it reads the secret from, so the test
 * rewrites the env file and then touches wrangler.toml (its modification time only, never its
 * content) to make wrangler reload; the tier's shared stack reloads too, unchanged.
 */
import { appendFileSync, mkdtempSync, readFileSync, rmSync, utimesSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { execa } from "execa";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { unstable_readConfig } from "wrangler";
import { DOCKER_HOST_ADDRESS, freePort, ROOT, type Stack, startStack } from "../../scripts/stack.ts";
import { ENGINE_ENV_NAMES, pickEnv } from "../../shared/config.ts";
import { signRequest } from "../../shared/hmac.ts";
import type { ClipStatus, ProcessClipsResponse, Task } from "../../shared/schemas.ts";
import { type FixtureServer, startFixtureServer } from "../support/fixture-server.ts";

const OLD_SECRET = "settings-tier-old-secret-0123456789";
const NEW_SECRET = "settings-tier-new-secret-9876543210";
const CLIP = "tone-ctr-settings";

let stack: Stack;
let fixtures: FixtureServer;
let dataDir: string;
let ip = 0;

beforeAll(async () => {
  dataDir = mkdtempSync(join(tmpdir(), "clip-audio-settings-tier-"));
  const logPath = join(dataDir, "stack.log");
  fixtures = await startFixtureServer({ host: DOCKER_HOST_ADDRESS });
  const [worker, container, bucket, inspector] = await Promise.all([freePort(), freePort(), freePort(), freePort()]);
  stack = await startStack({
    engine: "docker",
    offlineImage: true,
    ports: { worker, container, bucket, inspector },
    dataDir,
    env: {
      ENVIRONMENT: "test",
      HMAC_SHARED_SECRET: OLD_SECRET,
      CLIP_SOURCE_URL_TEMPLATE: fixtures.clipTemplate,
      STORE_VIDEO: "false",
    },
    log: (name, line) => appendFileSync(logPath, `[${name}] ${line}\n`),
  });
}, 900_000);

afterAll(async () => {
  await stack?.stop();
  await fixtures?.close();
  if (dataDir && process.env.KEEP_STACK_LOG !== "1") rmSync(dataDir, { recursive: true, force: true });
});

async function api(secret: string, path: string, body?: unknown): Promise<Response> {
  const text = body === undefined ? "" : JSON.stringify(body);
  const headers: Record<string, string> = {
    "CF-Connecting-IP": `198.51.100.${++ip}`,
    ...(await signRequest(secret, text)),
    ...(text ? { "content-type": "application/json" } : {}),
  };
  return fetch(`${stack.urls.worker}${path}`, {
    method: text ? "POST" : "GET",
    headers,
    ...(text ? { body: text } : {}),
  });
}

/** This stack's engine containers (workerd names them after its AudioEngine Durable Objects). */
async function engineContainers(): Promise<Map<string, string>> {
  const { stdout } = await execa("docker", ["ps", "--no-trunc", "--format", "{{.ID}} {{.Image}} {{.Names}}"]);
  const running = new Map<string, string>();
  for (const [id, image, name] of stdout.split("\n").map((line) => line.split(" "))) {
    if (id && name && /audioengine/i.test(image ?? "") && !name.endsWith("-proxy")) running.set(name, id);
  }
  return running;
}

async function startEnv(container: string): Promise<string[]> {
  const { stdout } = await execa("docker", ["inspect", "--format", "{{json .Config.Env}}", container]);
  return JSON.parse(stdout) as string[];
}

const stackLog = () => readFileSync(join(dataDir, "stack.log"), "utf8");

describe("a secret rotated under a running engine container", () => {
  it("restarts that engine instance with the new secret, and the clip completes", async () => {
    const before = await engineContainers();
    const first = await api(OLD_SECRET, "/api/process-clips", { clip_ids: [CLIP] });
    expect(first.status).toBe(200);
    expect(((await first.json()) as ProcessClipsResponse).success).toBe(true);
    const started = [...(await engineContainers())].filter(([name]) => !before.has(name));
    expect(started).toHaveLength(1);
    const [instance, oldContainer] = started[0] as [string, string];
    expect(await startEnv(oldContainer)).toContain(`HMAC_SHARED_SECRET=${OLD_SECRET}`);
    // The engine's own log lines (wrangler dev does not print them), until its container ends.
    const engineLog = execa("docker", ["logs", "--follow", oldContainer], { all: true, reject: false });

    // Rotate the secret on the Worker and let wrangler reload it (see the top of this file).
    const envFile = join(dataDir, "worker.env");
    writeFileSync(envFile, readFileSync(envFile, "utf8").replace(OLD_SECRET, NEW_SECRET), { mode: 0o600 });
    const now = new Date();
    utimesSync(join(ROOT, "wrangler.toml"), now, now);
    await vi.waitFor(
      async () => {
        if ((await api(NEW_SECRET, "/api/tasks/stats")).status !== 200) throw new Error("Worker not reloaded yet");
      },
      { timeout: 120_000, interval: 1_000 },
    );
    // The Worker has the new secret; its engine container still runs with the old one.
    expect((await engineContainers()).get(instance)).toBe(oldContainer);

    // The same clip again (same instance), in the background: the first attempt is refused for
    // its settings and restarts the instance; a later one runs on the new container.
    const response = await api(NEW_SECRET, "/api/process-clips", { clip_ids: [CLIP], force: true, background: true });
    expect(response.status).toBe(202);
    const { task_id } = (await response.json()) as ProcessClipsResponse;
    const task = await vi.waitFor(
      async () => {
        const now = (await (await api(NEW_SECRET, `/api/task/${task_id}`)).json()) as Task;
        if (now.status !== "completed" && now.status !== "failed") throw new Error(`task is ${now.status}`);
        return now;
      },
      { timeout: 150_000, interval: 1_000 },
    );
    expect(task.status, JSON.stringify(task.results)).toBe("completed");
    const status = (await (await api(NEW_SECRET, `/api/clip-status/${CLIP}`)).json()) as ClipStatus;
    expect(status.state).toBe("completed");

    const newContainer = (await engineContainers()).get(instance);
    expect(newContainer).toBeDefined();
    expect(newContainer).not.toBe(oldContainer);
    // Its engine settings are exactly what the Worker forwards: nothing in the image (its ENV,
    // the base image's) sets one, or the fingerprints could never agree.
    const engineSettings = (await startEnv(newContainer as string)).filter((entry) =>
      ENGINE_ENV_NAMES.includes(entry.slice(0, entry.indexOf("="))),
    );
    // The Worker's variables: wrangler.toml's [vars] under the env file's.
    const vars = unstable_readConfig({ config: join(ROOT, "wrangler.toml") }).vars as Record<string, string>;
    const forwarded = pickEnv({ ...vars, ...stack.env, HMAC_SHARED_SECRET: NEW_SECRET }, ENGINE_ENV_NAMES);
    expect(engineSettings.sort()).toEqual(
      Object.entries(forwarded)
        .map(([name, value]) => `${name}=${value}`)
        .sort(),
    );
    // What happened, as the logs tell it. The old engine refused the job for its settings, never
    // for its signature (the check comes before authentication), and then shut down…
    const engine = (await engineLog).all;
    expect(engine).toContain("job refused: settings differ from the Worker's");
    expect(engine).not.toContain("auth rejected");
    expect(engine).toContain('"signal":"SIGTERM"');
    // …the Worker restarted the instance, and the job counted that as an interruption (the
    // engine restarting), not as a failed attempt.
    const worker = stackLog();
    expect(worker).toContain("engine started with older settings: stopping it (SIGTERM)");
    expect(worker).toMatch(new RegExp(`"clip job interrupted; following it again","clip_id":"${CLIP}"`));
    expect(worker).not.toMatch(new RegExp(`"clip job attempt ended","clip_id":"${CLIP}","success":false`));
    for (const text of [engine, worker]) {
      expect(text).not.toContain(OLD_SECRET);
      expect(text).not.toContain(NEW_SECRET);
    }
  });
});
