/**
 * The engine process: `node container/src/server.ts`. Reads its environment once, serves
 * the job API, and on SIGTERM drains: it stops taking jobs, lets the running ones end within
 * DRAIN_SECONDS (Cloudflare sends SIGTERM on every rollout and allows 15 minutes), cuts off the
 * rest as `engine_restarting`, delivers every final event, and exits.
 */
// First: how soon V8 frees dead Buffers, before any media byte passes (heap.ts).
import "./heap.ts";
import { mkdir } from "node:fs/promises";
import type { Server } from "node:http";
import { serve } from "@hono/node-server";
import { ConfigError, logLevel } from "../../shared/config.ts";
import { log, setLogLevel } from "../../shared/log.ts";
import { engineSettingsFingerprint } from "../../shared/settings-fingerprint.ts";
import { createApp } from "./app.ts";
import { type EngineConfig, loadConfig } from "./config.ts";
import { extractors } from "./extractor.ts";
import { JobManager } from "./jobs.ts";
import { dropPrivileges } from "./privileges.ts";
import { createSink } from "./sinks/index.ts";
import { missingTools } from "./tools.ts";

/** After the drain, cut-off jobs get this long to stop and report before the process exits anyway. */
const STOP_GRACE_MS = 10_000;
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
  setLogLevel(logLevel(config));
  await mkdir(config.WORK_DIR, { recursive: true });
  // Served anyway: /health says what is missing and jobs fail at once with the same message.
  const missing = missingTools();
  if (missing.length > 0)
    log("warn", { msg: "tools missing: jobs fail until they are installed", missing_tools: missing });
  const sink = createSink(config);
  // yt-dlp's resident extractors start now: the first job must not wait for Python's import.
  extractors(config.JOB_CONCURRENCY).warm();
  const jobs = new JobManager(config, sink);
  const app = createApp({
    jobs,
    secret: config.HMAC_SHARED_SECRET,
    maxConcurrency: config.JOB_CONCURRENCY,
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

  let stopping = false;
  /** SIGTERM (the platform) drains; SIGINT (a person's Ctrl-C) cuts running jobs off at once. */
  const shutdown = async (signal: "SIGTERM" | "SIGINT") => {
    if (stopping) return;
    stopping = true;
    const drainMs = signal === "SIGTERM" ? config.DRAIN_SECONDS * 1000 : 0;
    log("info", { msg: "draining", signal, active_jobs: jobs.active, drain_seconds: drainMs / 1000 });
    const timer = setTimeout(() => process.exit(1), drainMs + STOP_GRACE_MS);
    timer.unref();
    await jobs.drain(drainMs);
    log("info", { msg: "drained: exiting" });
    // The jobs' final events reach the Worker before the process exits.
    await closeServer(server as Server);
    sink.close();
    extractors().close();
    process.exit(0);
  };
  process.on("SIGTERM", () => void shutdown("SIGTERM"));
  process.on("SIGINT", () => void shutdown("SIGINT"));
}

await main();
