/**
 * The Worker: the HTTP API (./app.ts), the RPC entrypoint for other Workers, the Durable Object
 * and Container classes, and the cron trigger.
 */
import { app } from "./app.ts";
import { markBindingCall } from "./caller.ts";
import { runCanary } from "./canary.ts";
import { log } from "./log.ts";
import { ClipAudioRpc } from "./rpc.ts";
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
