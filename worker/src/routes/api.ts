/**
 * The API's routes, one per operation of the table (../operations/api.ts), each described in
 * /openapi.json by its `createRoute`: what is HTTP's alone is added here (the signature and the
 * answers of admission, the body limit, the idempotency header and its middleware, reading
 * the body as JSON); the work is the operation's (../operations/index.ts).
 */
import { createRoute, type OpenAPIHono } from "@hono/zod-openapi";
import type { Context } from "hono";
import { z } from "zod";
import { ApiError } from "../errors.ts";
import { IdempotencyKey, idempotency } from "../middleware/idempotency.ts";
import { api, OPERATION_NAMES, type OperationName, type OperationSpec } from "../operations/api.ts";
import { requestContext } from "../operations/context.ts";
import { implementations } from "../operations/index.ts";
import type { AppEnv } from "../types.ts";
import {
  bodyResponses,
  describedBody,
  error,
  idempotencyResponses,
  json,
  openResponses,
  routes,
  signed,
  signedResponses,
} from "./openapi.ts";

/** Any body is read as JSON, whatever its Content-Type (a route validator would answer 415 without one). */
async function readJson(c: Context<AppEnv>): Promise<unknown> {
  try {
    return await c.req.json();
  } catch {
    throw new ApiError(400, "Request body must be valid JSON");
  }
}

const REPLAYED_HEADER = {
  "Idempotent-Replayed": { description: "`true` on a replayed answer", schema: { type: "string" as const } },
};

/** The route's definition: the operation's own answers, and those the HTTP door adds. */
function definition(app: OpenAPIHono<AppEnv>, spec: OperationSpec) {
  const answers = Object.fromEntries(
    Object.entries(spec.answers).map(([status, description]) => {
      const answer = json(spec.result, description);
      return [status, spec.idempotent && status === "200" ? { ...answer, headers: REPLAYED_HEADER } : answer];
    }),
  );
  const errors = Object.fromEntries(Object.entries(spec.errors ?? {}).map(([status, text]) => [status, error(text)]));
  const idempotencyHeader = z.object({
    "x-idempotency-key": IdempotencyKey.optional().meta({
      description: "The same key with the same body within 24 h answers the first response again",
    }),
  });
  return createRoute({
    method: spec.method,
    path: spec.path,
    summary: spec.summary,
    ...(spec.open ? {} : signed),
    ...(spec.idempotent ? { middleware: [idempotency()] as const } : {}),
    request: {
      ...(spec.params ? { params: spec.params } : {}),
      ...(spec.query ? { query: spec.query } : {}),
      ...(spec.idempotent ? { headers: idempotencyHeader } : {}),
      ...(spec.body
        ? {
            body: {
              required: true,
              content: {
                "application/json": {
                  schema: describedBody(app, spec.body.name, spec.body.schema, spec.body.description),
                },
              },
            },
          }
        : {}),
    },
    responses: {
      ...answers,
      ...errors,
      ...(spec.body ? bodyResponses : {}),
      ...(spec.idempotent ? idempotencyResponses : {}),
      ...(spec.open ? openResponses : signedResponses),
    },
  });
}

/** Reads the request as the table says, runs the operation, answers its result with its status. */
function handler(name: OperationName, spec: OperationSpec) {
  return async (c: Context<AppEnv>) => {
    const valid = (target: "param" | "query") =>
      (c.req.valid as (target: string) => Record<string, unknown> | undefined).call(c.req, target);
    const params = valid("param") ?? {};
    if (typeof params.clip_id === "string") c.set("clipIds", [params.clip_id]);
    const input = { params, query: valid("query") ?? {}, body: spec.body ? await readJson(c) : undefined };
    const run = implementations[name] as (...args: unknown[]) => Promise<{ status: number; response: unknown }>;
    const answer = await run({ ...requestContext(c), onClipIds: (ids: string[]) => c.set("clipIds", ids) }, input);
    return c.json(answer.response, answer.status as 200);
  };
}

/** Every operation's route, on one sub-app. */
export function apiRoutes(): OpenAPIHono<AppEnv> {
  const app = routes();
  for (const name of OPERATION_NAMES) {
    const spec: OperationSpec = api[name];
    app.openapi(definition(app, spec), handler(name, spec) as never);
  }
  return app;
}
