/**
 * The clip routes: process, status, listing and cleanup. The work is in ../operations/clips.ts,
 * shared with the RPC entrypoint; what is HTTP's alone stays here (JSON bodies, query strings,
 * the idempotency header, each route's description in /openapi.json).
 */
import { createRoute } from "@hono/zod-openapi";
import type { Context } from "hono";
import { z } from "zod";
import { invalidClipIdMessage, parseClipId } from "../../../shared/clip-id.ts";
import * as schemas from "../../../shared/schemas.ts";
import { ApiError } from "../errors.ts";
import { IdempotencyKey, idempotency } from "../middleware/idempotency.ts";
import { cleanup, clipStatus, listProcessedClips, processClips } from "../operations/clips.ts";
import { requestContext } from "../operations/context.ts";
import type { AppEnv } from "../types.ts";
import {
  Body,
  bodyResponses,
  describedBody,
  error,
  idempotencyResponses,
  json,
  queryValue,
  routes,
  signed,
  signedResponses,
} from "./openapi.ts";

export const clips = routes();

/**
 * A clip id in a path: a clip URL is reduced to its id, and a bad one fails with the contract's
 * message, which names the id and what is wrong with it (../../../shared/clip-id.ts).
 */
const ClipIdParam = z
  .string()
  .transform((raw, ctx) => {
    const parsed = parseClipId(raw);
    if (parsed.ok) return parsed.id;
    ctx.addIssue({ code: "custom", message: invalidClipIdMessage(raw) ?? "Invalid clip ID" });
    return z.NEVER;
  })
  .meta({
    description: "A clip id (letters, digits, `_`, `-`; at most 100) or a Twitch clip URL, URL-encoded",
    example: "AwkwardHelplessSalamanderSwiftRage",
  });
const clipIdParams = z.object({ clip_id: ClipIdParam });
const invalidClipId = error("`Invalid clip ID(s): <id> (<why>). Clip IDs must contain only …`");

/**
 * The body is described here from the contract's schema and validated by processClips (the same
 * schema, shared with the RPC door), not by the route: the contract reads any body as JSON
 * whatever its Content-Type (a route validator answers 415 without one) and words a malformed
 * body `Request body must be valid JSON`.
 */
async function readJson(c: Context<AppEnv>): Promise<unknown> {
  try {
    return await c.req.json();
  } catch {
    throw new ApiError(400, "Request body must be valid JSON");
  }
}

const processRoute = createRoute({
  method: "post",
  path: "/process-clips",
  summary: "Process clips (sync, or background with a task)",
  ...signed,
  middleware: [idempotency()] as const,
  request: {
    headers: z.object({
      "x-idempotency-key": IdempotencyKey.optional().meta({
        description: "The same key with the same body within 24 h answers the first response again",
      }),
    }),
    body: {
      required: true,
      content: {
        "application/json": {
          schema: describedBody(
            clips,
            "ProcessClipsRequest",
            schemas.ProcessClipsRequest,
            "`clip_ids`: 1 to 10 clip ids (letters, digits, `_`, `-`; at most 100 characters) or Twitch clip " +
              "URLs, duplicates processed once; `callback_url`'s host must be in CALLBACK_HOSTS",
          ),
        },
      },
    },
  },
  responses: {
    200: {
      ...json(Body.ProcessClipsResponse, "Processed (some clips may have failed: see `results`)"),
      headers: { "Idempotent-Replayed": { description: "`true` on a replayed answer", schema: { type: "string" } } },
    },
    202: json(Body.ProcessClipsResponse, "Accepted: processing in the background under `task_id`"),
    400: error(
      "`No clip IDs provided`, `Maximum 10 clips per request`, `Invalid clip ID(s): …`, " +
        "`Request body must be valid JSON`, `Invalid request body: <field>: <problem>`, a malformed X-Idempotency-Key",
    ),
    ...bodyResponses,
    ...idempotencyResponses,
    ...signedResponses,
  },
});

clips.openapi(processRoute, async (c) => {
  const answer = await processClips(requestContext(c), await readJson(c), { onIds: (ids) => c.set("clipIds", ids) });
  return c.json(answer.response, answer.status);
});

const statusRoute = createRoute({
  method: "get",
  path: "/clip-status/{clip_id}",
  summary: "A clip's artifacts and job state",
  ...signed,
  request: { params: clipIdParams },
  responses: {
    200: json(Body.ClipStatus, "The clip's state"),
    400: invalidClipId,
    503: error("`Storage service temporarily unavailable`"),
    ...signedResponses,
  },
});

clips.openapi(statusRoute, async (c) => {
  const { clip_id } = c.req.valid("param");
  c.set("clipIds", [clip_id]);
  return c.json(await clipStatus(requestContext(c), clip_id), 200);
});

const listRoute = createRoute({
  method: "get",
  path: "/list-processed-clips",
  summary: "Clips whose audio is in the bucket",
  ...signed,
  request: {
    query: z.object({
      limit: queryValue(schemas.ListProcessedQuery.shape.limit).meta({
        type: "integer",
        minimum: 1,
        maximum: 1000,
        default: 50,
        description: "Clamped to 1..1000; blank or not an integer means 50",
      }),
      cursor: queryValue(schemas.ListProcessedQuery.shape.cursor).meta({
        type: "string",
        description: "The previous page's `cursor`",
      }),
    }),
  },
  responses: {
    200: json(Body.ListProcessedResponse, "A page of clip ids"),
    400: error("`Invalid cursor`"),
    503: error("`Storage service temporarily unavailable`"),
    ...signedResponses,
  },
});

clips.openapi(listRoute, async (c) => c.json(await listProcessedClips(requestContext(c), c.req.valid("query")), 200));

const cleanupRoute = createRoute({
  method: "delete",
  path: "/cleanup/{clip_id}",
  summary: "Delete every object of a clip (dry run by default)",
  ...signed,
  request: {
    params: clipIdParams,
    query: z.object({
      // As the original read them: only `false` turns the dry run off, only `true` confirms.
      dry_run: queryValue(z.string().optional())
        .transform((value) => value !== "false")
        .meta({ type: "boolean", default: true }),
      confirm: queryValue(z.string().optional())
        .transform((value) => value === "true")
        .meta({ type: "boolean", default: false }),
    }),
  },
  responses: {
    200: json(Body.CleanupResponse, "Listed (dry run) or deleted"),
    207: json(Body.CleanupResponse, "Some deletions failed"),
    400: error("`Invalid clip ID(s): …`, or `Actual deletion requires confirm=true parameter. …`"),
    409: error("`Clip <id> is being processed; try again when it has finished`"),
    503: error("`Storage service temporarily unavailable`"),
    ...signedResponses,
  },
});

clips.openapi(cleanupRoute, async (c) => {
  const { clip_id } = c.req.valid("param");
  const { dry_run: dryRun, confirm } = c.req.valid("query");
  c.set("clipIds", [clip_id]);
  const answer = await cleanup(requestContext(c), clip_id, { dryRun, confirm });
  return c.json(answer.response, answer.status);
});
