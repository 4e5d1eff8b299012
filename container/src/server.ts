/**
 * The engine process: `node container/src/server.ts`. Reads its environment once, serves
 * the job API, and on SIGTERM stops taking jobs, cancels the running ones and exits.
 */
// First: how soon V8 frees dead Buffers, before any media byte passes (heap.ts).
import "./heap.ts";
import { mkdir } from "node:fs/promises";
import type { Server } from "node:http";
import { serve } from "@hono/node-server";
import { ConfigError } from "../../shared/config.ts";
import { log, setLogLevel } from "../../shared/log.ts";
import { engineSettingsFingerprint } from "../../shared/settings-fingerprint.ts";
import { createApp } from "./app.ts";
import { type EngineConfig, loadConfig } from "./config.ts";
import { extractors } from "./extractor.ts";
import { JobManager } from "./jobs.ts";
import { dropPrivileges } from "./privileges.ts";
import { createSink } from "./sinks/index.ts";
import { missingTools } from "./tools.ts";

/** Jobs get this long to stop after SIGTERM before the process exits anyway. */
const SHUTDOWN_GRACE_MS = 10_000;
/** How often a closing server looks for connections that have gone idle, to close them. */
const IDLE_SWEEP_MS = 50;

/**
 * Stops listening and resolves once every response has ended. Node keeps a keep-alive
 * connection open for seconds after its last response even while closing, so connections are
 * closed as soon as they are idle.
 */
async function closeServer(server: Server): Promise<void> {
  const closed = new Promise<void>((resolve) => server.close(() => resolve()));
  const sweep = setInterval(() => server.closeIdleConnections(), IDLE_SWEEP_MS);
  await closed;
  clearInterval(sweep);
}

async function main(): Promise<void> {
  let config: EngineConfig;
  try {
    config = loadConfig();
    // Before any file or subprocess: the tools must not share this process's uid while it is dumpable.
    dropPrivileges(config.RUN_AS_USER);
  } catch (error) {
    if (error instanceof ConfigError) {
      console.error(error.message);
      process.exit(2);
    }
    throw error;
  }
  setLogLevel(config.LOG_LEVEL);
  await mkdir(config.WORK_DIR, { recursive: true });
  // Served anyway: /health says what is missing and jobs fail at once with the same message.
  const missing = missingTools();
  if (missing.length > 0)
    log("warn", { msg: "tools missing: jobs fail until they are installed", missing_tools: missing });
  const sink = createSink(config);
  // yt-dlp's resident extractors start now: the first job must not wait for Python's import.
  extractors(config.JOB_CONCURRENCY).warm();
  const jobs = new JobManager(config, sink);
  let draining = false;
  const app = createApp({
    jobs,
    secret: config.HMAC_SHARED_SECRET,
    maxConcurrency: config.JOB_CONCURRENCY,
    draining: () => draining,
    settingsFingerprint: await engineSettingsFingerprint(process.env),
  });
  const server = serve({ fetch: app.fetch, port: config.PORT, hostname: config.HOST }, (info) => {
    log("info", {
      msg: "listening",
      port: info.port,
      host: config.HOST,
      sink: sink.description,
      concurrency: config.JOB_CONCURRENCY,
    });
  });

  const shutdown = async (signal: string) => {
    if (draining) return;
    draining = true;
    log("info", { msg: "shutting down", signal, active_jobs: jobs.active });
    const timer = setTimeout(() => process.exit(1), SHUTDOWN_GRACE_MS);
    timer.unref();
    await jobs.cancelAll();
    // The cancelled jobs' final events reach the Worker before the process exits.
    await closeServer(server as Server);
    sink.close();
    extractors().close();
    process.exit(0);
  };
  process.on("SIGTERM", () => void shutdown("SIGTERM"));
  process.on("SIGINT", () => void shutdown("SIGINT"));
}

await main();
