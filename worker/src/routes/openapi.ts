/**
 * What the route definitions share, and `/openapi.json`, which @hono/zod-openapi generates from
 * them: each route is a `createRoute` on an OpenAPIHono (./api.ts, one per operation), so a
 * route cannot be answered without being described.
 */
import { type Hook, OpenAPIHono } from "@hono/zod-openapi";
import { z } from "zod";
import { IDEMPOTENCY_HEADER } from "../../../shared/hmac.ts";
import * as schemas from "../../../shared/schemas.ts";
import { VERSION } from "../../../shared/version.ts";
import { MAX_BODY_BYTES } from "../limits.ts";
import type { AppEnv } from "../types.ts";

/**
 * A failed parameter, query or header check answers 400 with its issue's message as the detail.
 * Every schema such a check can fail on carries the contract's message (a clip id's, the
 * idempotency key's); the others never fail (a `limit` is clamped, not refused).
 */
export const defaultHook: Hook<unknown, AppEnv, string, unknown> = (result, c) => {
  if (result.success) return;
  return c.json({ detail: result.error.issues[0]?.message ?? "Invalid request" }, 400);
};

/** A sub-app of routes described for the document, validated with `defaultHook`. */
export const routes = () => new OpenAPIHono<AppEnv>({ defaultHook });

// ---- the error body, a component of the document ------------------------------------------
// Named with zod's own `.meta({ id })` (zod-to-openapi reads it): no reliance on its `.openapi()`
// patch, which schemas built before @hono/zod-openapi loads (../../../shared/schemas.ts) lack.
// The results are named beside their operations (../operations/api.ts).
const ErrorBody = schemas.ErrorBody.meta({ id: "ErrorBody" });

type ComponentSchema = Parameters<OpenAPIHono["openAPIRegistry"]["registerComponent"]>[2];

/**
 * A request body described by `schema` (what a caller sends: zod's JSON Schema of its input) but
 * not validated by the route, which any zod schema in `request.body` would be; registers the
 * component with `app` and returns the reference for `createRoute`.
 */
export function describedBody(app: OpenAPIHono<AppEnv>, name: string, schema: z.ZodType, description: string) {
  const { $schema: _dialect, ...jsonSchema } = z.toJSONSchema(schema, { io: "input" });
  app.openAPIRegistry.registerComponent("schemas", name, { ...jsonSchema, description } as ComponentSchema);
  return { $ref: `#/components/schemas/${name}` };
}

/** A JSON response of `schema`. */
export const json = <T extends z.ZodType>(schema: T, description: string) => ({
  description,
  content: { "application/json": { schema } },
});

/** An error response: `{"detail": …}`, with what `description` says. */
export const error = (description: string) => json(ErrorBody, description);

const rateLimitHeaders = {
  "RateLimit-Limit": { description: "Requests allowed per window", schema: { type: "integer" as const } },
  "RateLimit-Remaining": { description: "Requests left in this window", schema: { type: "integer" as const } },
  "RateLimit-Reset": { description: "Seconds until the window frees a request", schema: { type: "integer" as const } },
};

/** Any route may fail these ways. */
const always = {
  500: error("`Server configuration error: <problem>`, or `Internal server error`"),
};

// ---- signed routes -------------------------------------------------------------------------

const SECURITY_SCHEMES = {
  signature: {
    type: "apiKey" as const,
    in: "header" as const,
    name: "X-Request-Signature",
    description:
      "Version 1: hex(HMAC-SHA256(secret, body + X-Request-Timestamp + X-Request-Nonce)), optionally " +
      "prefixed `hex:`, either case. Version 2 (X-Request-Signature-Version: 2): hex(HMAC-SHA256(secret, " +
      "METHOD \\n path \\n query \\n X-Request-Timestamp \\n X-Request-Nonce \\n body)); HMAC_REQUIRE_V2 " +
      "refuses version 1.",
  },
  timestamp: {
    type: "apiKey" as const,
    in: "header" as const,
    name: "X-Request-Timestamp",
    description: "Integer Unix seconds, within 300 s of the server's clock.",
  },
  nonce: {
    type: "apiKey" as const,
    in: "header" as const,
    name: "X-Request-Nonce",
    description: "16-64 letters or digits, accepted once.",
  },
};

/**
 * What every signed route adds to its definition: the three headers (one security requirement:
 * all of them), the optional version header, and the answers admission gives before the route.
 */
export const signed = {
  security: [{ signature: [], timestamp: [], nonce: [] }],
  parameters: [
    {
      name: "X-Request-Signature-Version",
      in: "header" as const,
      required: false,
      description: "1 (the default) or 2 (covers method, path and query too).",
      schema: { type: "string" as const, enum: ["1", "2"] },
    },
  ],
};

export const signedResponses = {
  401: error("`Security validation failed: <reason>` (missing header, bad timestamp, reused nonce, bad signature)"),
  429: {
    ...error("`Rate limit exceeded`"),
    headers: {
      "Retry-After": { description: "Seconds to wait", schema: { type: "integer" as const } },
      ...rateLimitHeaders,
    },
  },
  ...always,
};

/** The answers of a route that reads a request body. */
export const bodyResponses = {
  413: error(`\`Request body too large (at most ${MAX_BODY_BYTES} bytes)\``),
};

/** The answers `X-Idempotency-Key` adds (../middleware/idempotency.ts). */
export const idempotencyResponses = {
  409: {
    ...error(`\`${IDEMPOTENCY_HEADER} is in use by a request still in progress; retry later\``),
    headers: { "Retry-After": { description: "Seconds to wait", schema: { type: "integer" as const } } },
  },
  422: error(`\`${IDEMPOTENCY_HEADER} was already used with a different body\``),
};

export const openResponses = always;

// ---- the document --------------------------------------------------------------------------

const DOCUMENT = {
  openapi: "3.1.0",
  info: {
    title: "clip-audio",
    version: VERSION,
    description: "Twitch clips to speech-ready audio in R2. Every route also answers under /api.",
  },
  // Relative to where the document is served: every route answers at both.
  servers: [{ url: "/" }, { url: "/api", description: "The same routes (existing callers use it)" }],
};

/** Serves the document of every route `app` has (mounted ones included) at /openapi.json. */
export function serveDocument(app: OpenAPIHono<AppEnv>): void {
  for (const [name, scheme] of Object.entries(SECURITY_SCHEMES)) {
    app.openAPIRegistry.registerComponent("securitySchemes", name, scheme);
  }
  app.doc31("/openapi.json", DOCUMENT);
}
