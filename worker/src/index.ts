/**
 * clip-audio's public API on Cloudflare Workers. Order of work for a request: configuration
 * guard → rate limit (cheap, before any crypto) → HMAC → the route. Every route also answers
 * under /api.
 */
import { Hono } from "hono";
import { bodyLimit } from "hono/body-limit";
import { markBindingCall } from "./caller.ts";
import { runCanary } from "./canary.ts";
import { loadConfig } from "./config.ts";
import { consoleApp, isConsolePath } from "./console/index.tsx";
import { ApiError, onError } from "./errors.ts";
import { MAX_BODY_BYTES } from "./limits.ts";
import { log } from "./log.ts";
import { admission } from "./middleware/admission.ts";
import { clips } from "./routes/clips.ts";
import { health } from "./routes/health.ts";
import { openapi } from "./routes/openapi.ts";
import { tasks } from "./routes/tasks.ts";
import { ClipAudioRpc } from "./rpc.ts";
import { bucketStorage } from "./storage.ts";
import type { AppEnv } from "./types.ts";

// The containers library intercepts a container's outbound traffic through this entrypoint
// whenever a Container class declares outbound handlers or host lists; exported so that adding
// one later cannot fail every container start ("ctx.exports.ContainerProxy is undefined").
export { ContainerProxy } from "@cloudflare/containers";
export { ClipJob } from "./durable/clip-job.ts";
export { EngineMonitor } from "./durable/engine-monitor.ts";
export { IdempotencyStore } from "./durable/idempotency-store.ts";
export { NonceStore } from "./durable/nonce-store.ts";
export { RateLimiter } from "./durable/rate-limiter.ts";
export { TaskStore } from "./durable/task-store.ts";
export { AudioEngine } from "./engine.ts";

const OPEN_PATHS = new Set(["/health", "/openapi.json"]);

/** Every route also answers under /api (existing callers post to `<base>/api/process-clips`). */
const app = new Hono<AppEnv>({ getPath: (request) => new URL(request.url).pathname.replace(/^\/api(?=\/)/, "") });

app.use("*", async (c, next) => {
  const started = Date.now();
  const loaded = loadConfig(c.env);
  if (!loaded.ok) {
    log("error", { msg: "configuration error", problem: loaded.problem });
    throw new ApiError(500, `Server configuration error: ${loaded.problem}`);
  }
  c.set("config", loaded.config);
  c.set("storage", bucketStorage(c.env, loaded.config));
  try {
    await next();
  } finally {
    log("info", {
      msg: "request",
      method: c.req.method,
      route: c.req.routePath,
      path: c.req.path,
      status: c.res.status,
      duration_ms: Date.now() - started,
      clip_ids: c.get("clipIds"),
    });
  }
});
app.use(
  "*",
  bodyLimit({
    maxSize: MAX_BODY_BYTES,
    onError: () => {
      throw new ApiError(413, `Request body too large (at most ${MAX_BODY_BYTES} bytes)`);
    },
  }),
);
app.use("*", async (c, next) => {
  // The console signs people in and rate-limits them itself (./console): no HMAC there.
  if (OPEN_PATHS.has(c.req.path) || isConsolePath(c.req.path)) return next();
  await admission()(c, next);
});
app.route("/console", consoleApp);
app.route("/", health);
app.route("/", openapi);
app.route("/", clips);
app.route("/", tasks);
app.notFound((c) => c.json({ detail: "Not Found" }, 404));
app.onError(onError);

/**
 * The entrypoint for other Workers: bind it with `entrypoint = "ClipAudioService"` (and
 * `props = { caller = "<name>" }`). Its RPC methods (./rpc.ts) are the API without HMAC; its
 * `fetch` is the signed HTTP API, for callers that already build requests. Either way calls are
 * rate-limited per binding, never by a `CF-Connecting-IP` the calling Worker could write
 * (./caller.ts).
 */
export class ClipAudioService extends ClipAudioRpc {
  override fetch(request: Request): Response | Promise<Response> {
    markBindingCall(this.ctx, this.ctx.props);
    return app.fetch(request, this.env, this.ctx);
  }
}

export default {
  fetch: app.fetch,
  /** Cron Triggers (wrangler.toml `[triggers]`): the canary. */
  async scheduled(_controller, env) {
    const outcome = await runCanary(env);
    if (!outcome.ran) log("info", { msg: "canary skipped", reason: outcome.reason });
  },
} satisfies ExportedHandler<Env>;
export type { ProcessClipsInput } from "./rpc.ts";
export type { AppEnv };
