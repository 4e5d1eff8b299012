/**
 * The HTTP API as one Hono app. Order of work for a request: configuration guard → body size →
 * admission (rate limit, then HMAC) → the route; /health, /openapi.json and the console skip
 * admission. Every route also answers under /api. In its own module because the Worker's main
 * module (./index.ts) may export only handlers and classes, and tests walk `app.routes`.
 */
import { OpenAPIHono } from "@hono/zod-openapi";
import type { MiddlewareHandler } from "hono";
import { bodyLimit } from "hono/body-limit";
import { every, except } from "hono/combine";
import { loadConfig } from "./config.ts";
import { consoleApp, isConsolePath } from "./console/index.tsx";
import { ApiError, onError } from "./errors.ts";
import { MAX_BODY_BYTES } from "./limits.ts";
import { log } from "./log.ts";
import { admission } from "./middleware/admission.ts";
import { OPEN_PATHS as OPEN_OPERATIONS } from "./operations/api.ts";
import { apiRoutes } from "./routes/api.ts";
import { defaultHook, serveDocument } from "./routes/openapi.ts";
import { bucketStorage } from "./storage.ts";
import type { AppEnv } from "./types.ts";

/** Open to anyone: no signature, no rate limit (the contract). */
const OPEN_PATHS = [...OPEN_OPERATIONS, "/openapi.json"];

/** One line per request, whatever answered it (outermost, so it sees the error responses too). */
function requestLog(): MiddlewareHandler<AppEnv> {
  return async function requestLog(c, next) {
    const started = Date.now();
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
  };
}

/** The parsed configuration and the bucket for the request, or the contract's 500 when refused. */
function configGuard(): MiddlewareHandler<AppEnv> {
  return async function configGuard(c, next) {
    const loaded = loadConfig(c.env);
    if (!loaded.ok) {
      log("error", { msg: "configuration error", problem: loaded.problem });
      throw new ApiError(500, `Server configuration error: ${loaded.problem}`);
    }
    c.set("config", loaded.config);
    c.set("storage", bucketStorage(c.env, loaded.config));
    await next();
  };
}

/** Every route also answers under /api (existing callers post to `<base>/api/process-clips`). */
export const app = new OpenAPIHono<AppEnv>({
  getPath: (request) => new URL(request.url).pathname.replace(/^\/api(?=\/)/, ""),
  defaultHook,
});

app.use(requestLog());
app.use(
  every(
    configGuard(),
    bodyLimit({
      maxSize: MAX_BODY_BYTES,
      onError: () => {
        throw new ApiError(413, `Request body too large (at most ${MAX_BODY_BYTES} bytes)`);
      },
    }),
    // The console signs people in and rate-limits them itself (./console): no HMAC there.
    except([...OPEN_PATHS, (c) => isConsolePath(c.req.path)], admission()),
  ),
);
app.route("/console", consoleApp);
app.route("/", apiRoutes());
serveDocument(app);
app.notFound((c) => c.json({ detail: "Not Found" }, 404));
app.onError(onError);
