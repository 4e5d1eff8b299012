/**
 * The engine's HTTP service, called only by the Worker:
 *   POST   /jobs            start (or join) a clip's job; the answer is its NDJSON event stream
 *   DELETE /jobs/{clip_id}  cancel a job
 *   GET    /health          tool versions (yt-dlp's age too), missing tools and load (no auth)
 * Job routes need the same HMAC signature as the public API, so only the Worker can start jobs.
 */
import { Hono } from "hono";
import { stream } from "hono/streaming";
import { ClipAudioError } from "../../shared/errors.ts";
import { hmacAuth } from "../../shared/hmac-auth.ts";
import { type JobEvent, JobRequest } from "../../shared/job.ts";
import { log } from "../../shared/log.ts";
import type { EngineHealth } from "../../shared/schemas.ts";
import { staleYtDlpWarning, ytDlpAgeDays } from "../../shared/ytdlp-age.ts";
import { EventMailbox, pump, type StreamTiming } from "./job-stream.ts";
import type { JobManager } from "./jobs.ts";
import { settingsCheck } from "./settings-check.ts";
import { missingTools, missingToolsError, toolVersions } from "./tools.ts";
import { channelRoutes } from "./ytdlp-channel/routes.ts";

/** The engine's nonce store: one process, so its memory. */
class NonceMemory {
  readonly #seen = new Map<string, number>();

  /** True the first time a nonce is claimed before it expires (epoch ms). */
  claim(nonce: string, expiresAt: number, now = Date.now()): boolean {
    for (const [key, expires] of this.#seen) if (expires <= now) this.#seen.delete(key);
    if (this.#seen.has(nonce)) return false;
    this.#seen.set(nonce, expiresAt);
    return true;
  }
}

export interface AppOptions {
  jobs: JobManager;
  secret: string | null;
  maxConcurrency: number;
  /** Heartbeat interval of job streams (tests shorten it). */
  heartbeatMs?: number | undefined;
  /** The fingerprint of the settings this process started with (./settings-check.ts). */
  settingsFingerprint?: string;
}

export function createApp(options: AppOptions) {
  const nonces = new NonceMemory();
  const app = new Hono();

  app.get("/health", async (c) => {
    const tools = await toolVersions();
    const missing = missingTools();
    const now = new Date();
    const body: EngineHealth = {
      status: options.jobs.draining ? "draining" : missing.length > 0 ? "missing_tools" : "ok",
      ffmpeg: tools.ffmpeg,
      yt_dlp: tools.ytDlp,
      yt_dlp_age_days: ytDlpAgeDays(tools.ytDlp, now),
      yt_dlp_warning: staleYtDlpWarning(tools.ytDlp, now),
      active_jobs: options.jobs.active,
      max_concurrency: options.maxConcurrency,
      missing_tools: missing,
    };
    return c.json(body);
  });

  // `/jobs/*` matches `/jobs` too in Hono. Settings first: a stale secret must not mask them.
  app.use("/jobs/*", settingsCheck(options.settingsFingerprint));
  // The job routes and the channel route (yt-dlp builds, ytdlp-channel/routes.ts) are the Worker's alone.
  for (const path of ["/jobs/*", "/extractor/*"]) {
    app.use(path, async (c, next) => {
      if (!options.secret) return c.json({ detail: "HMAC_SHARED_SECRET is not configured" }, 500);
      await next();
    });
    app.use(
      path,
      hmacAuth({
        secret: () => options.secret,
        claimNonce: (_c, nonce, expiresAt) => nonces.claim(nonce, expiresAt),
        onReject: (c, reason) => log("warn", { msg: "auth rejected", reason, path: c.req.path }),
      }),
    );
  }
  app.route(
    "/",
    channelRoutes(() => options.jobs.workDir),
  );

  app.post("/jobs", async (c) => {
    let parsed: ReturnType<typeof JobRequest.safeParse>;
    try {
      parsed = JobRequest.safeParse(await c.req.json());
    } catch {
      return c.json({ detail: "Request body is not valid JSON" }, 400);
    }
    if (!parsed.success)
      return c.json({ detail: `Invalid job request: ${parsed.error.issues[0]?.message ?? "bad shape"}` }, 400);
    const request = parsed.data;
    // Without ffmpeg or yt-dlp every job fails: say so at once, with how to install them.
    const missing = missingTools();
    if (missing.length > 0) {
      const failed: JobEvent = { type: "failed", error: missingToolsError(missing).toJSON() };
      c.header("Content-Type", "application/x-ndjson");
      return c.body(`${JSON.stringify(failed)}\n`);
    }
    const mailbox = new EventMailbox();
    let subscription: ReturnType<JobManager["subscribe"]>;
    try {
      subscription = options.jobs.subscribe(request, mailbox.push);
    } catch (error) {
      // Draining: a job that is not running here is not started; the Worker tries again later.
      if (error instanceof ClipAudioError) return c.json({ detail: error.message, code: error.code }, 503);
      throw error;
    }
    const timing: StreamTiming = {
      heartbeatMs: options.heartbeatMs,
      releaseAfterMs: request.follow_seconds === undefined ? undefined : request.follow_seconds * 1000,
    };
    c.header("Content-Type", "application/x-ndjson");
    return stream(c, async (out) => {
      out.onAbort(() => {
        subscription.unsubscribe();
        mailbox.close();
      });
      const ended = await pump(mailbox, (line) => out.write(`${JSON.stringify(line)}\n`), timing);
      subscription.unsubscribe();
      if (ended === "ended") await subscription.done;
    });
  });

  app.delete("/jobs/:clipId", (c) => {
    return options.jobs.cancel(c.req.param("clipId")) ? c.body(null, 204) : c.json({ detail: "No such job" }, 404);
  });

  return app;
}
