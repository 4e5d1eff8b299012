/**
 * Who is calling. Requests from the internet carry `CF-Connecting-IP`, which Cloudflare's edge
 * sets and a client cannot choose. Calls through a service binding carry whatever headers the
 * calling Worker wrote, so they are identified by the binding instead: they arrive at the
 * `ClipAudioService` entrypoint (worker/src/index.ts), which records the caller's name from the
 * binding's `props.caller` (set in the caller's wrangler configuration, not per request).
 */
import type { Context } from "hono";

/** The caller name of each service-binding call, keyed by the call's ExecutionContext. */
const bindingCallers = new WeakMap<object, string>();

const CALLER_NAME = /^[A-Za-z0-9_.-]{1,64}$/;

/** The binding's `props.caller` when it is a valid name (letters, digits, `. _ -`, at most 64), else null. */
export function bindingCallerName(props: unknown): string | null {
  const named = (props as { caller?: unknown } | null | undefined)?.caller;
  return typeof named === "string" && CALLER_NAME.test(named) ? named : null;
}

/** Records that `ctx` belongs to a call through a service binding, named by its props. */
export function markBindingCall(ctx: ExecutionContext, props: unknown): void {
  bindingCallers.set(ctx, bindingCallerName(props) ?? "binding");
}

/** The rate-limit key: `service:<caller>` for calls through ClipAudioService, else `ip:<address>`. */
export function clientKey(c: Context): string {
  let ctx: object | undefined;
  try {
    ctx = c.executionCtx;
  } catch {
    ctx = undefined; // no ExecutionContext: not a binding call
  }
  const caller = ctx ? bindingCallers.get(ctx) : undefined;
  if (caller) return `service:${caller}`;
  const ip = c.req.header("cf-connecting-ip");
  // Cloudflare's edge sets it on every request from the internet: without it, this is a call
  // through a binding to the default entrypoint (or local development).
  return ip ? `ip:${ip}` : "service:default";
}
