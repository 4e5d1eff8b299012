/** `/openapi.json`, generated from the shared zod schemas (zod's own JSON Schema output). */
import { Hono } from "hono";
import { z } from "zod";
import * as schemas from "../../../shared/schemas.ts";
import type { AppEnv } from "../types.ts";

const json = (schema: z.ZodType) => z.toJSONSchema(schema, { io: "output", unrepresentable: "any" });
const ref = (name: string) => ({ $ref: `#/components/schemas/${name}` });
const respond = (name: string, description = "OK") => ({
  description,
  content: { "application/json": { schema: ref(name) } },
});
const errors = {
  "400": respond("ErrorBody", "Invalid input"),
  "401": respond("ErrorBody", "Security validation failed"),
  "429": respond("ErrorBody", "Rate limit exceeded"),
  "503": respond("ErrorBody", "Storage service temporarily unavailable"),
};
const signed = [{ hmac: [] }];
const clipIdParam = {
  name: "clip_id",
  in: "path",
  required: true,
  schema: { type: "string", pattern: "^[A-Za-z0-9_-]+$" },
};
const taskIdParam = { name: "task_id", in: "path", required: true, schema: { type: "string" } };

const components = Object.fromEntries(
  Object.entries({
    ProcessClipsRequest: schemas.ProcessClipsRequest,
    ProcessClipsResponse: schemas.ProcessClipsResponse,
    ClipResult: schemas.ClipResult,
    ClipStatus: schemas.ClipStatus,
    ListProcessedResponse: schemas.ListProcessedResponse,
    CleanupResponse: schemas.CleanupResponse,
    Task: schemas.Task,
    TaskList: schemas.TaskList,
    TaskStats: schemas.TaskStats,
    Health: schemas.Health,
    Manifest: schemas.Manifest,
    ErrorBody: schemas.ErrorBody,
  }).map(([name, schema]) => [name, json(schema)]),
);

export const document = {
  openapi: "3.1.0",
  info: {
    title: "clip-audio",
    version: "1.0.0",
    description: "Twitch clips to speech-ready audio in R2. Every route also answers under /api.",
  },
  components: {
    schemas: components,
    securitySchemes: {
      hmac: {
        type: "apiKey",
        in: "header",
        name: "X-Request-Signature",
        description:
          "Version 1: hex(HMAC-SHA256(secret, body + X-Request-Timestamp + X-Request-Nonce)). " +
          "Version 2 (header X-Request-Signature-Version: 2): hex(HMAC-SHA256(secret, " +
          "METHOD \\n path \\n query \\n X-Request-Timestamp \\n X-Request-Nonce \\n body)); " +
          "HMAC_REQUIRE_V2 refuses version 1.",
      },
    },
  },
  paths: {
    "/health": {
      get: {
        summary: "Service health",
        responses: { "200": respond("Health"), "503": respond("Health", "Unhealthy") },
      },
    },
    "/process-clips": {
      post: {
        summary: "Process clips (sync, or background with a task)",
        security: signed,
        requestBody: { required: true, content: { "application/json": { schema: ref("ProcessClipsRequest") } } },
        responses: {
          "200": respond("ProcessClipsResponse"),
          "202": respond("ProcessClipsResponse", "Accepted"),
          ...errors,
          "409": respond("ErrorBody", "X-Idempotency-Key in use by a request still in progress"),
          "413": respond("ErrorBody", "Request body too large (over 16 KB)"),
          "422": respond("ErrorBody", "X-Idempotency-Key already used with a different body"),
        },
      },
    },
    "/clip-status/{clip_id}": {
      get: {
        summary: "A clip's artifacts and job state",
        security: signed,
        parameters: [clipIdParam],
        responses: { "200": respond("ClipStatus"), ...errors },
      },
    },
    "/list-processed-clips": {
      get: {
        summary: "Clips whose audio is in the bucket",
        security: signed,
        parameters: [
          { name: "limit", in: "query", schema: { type: "integer", minimum: 1, maximum: 1000, default: 50 } },
          { name: "cursor", in: "query", schema: { type: "string" } },
        ],
        responses: { "200": respond("ListProcessedResponse"), ...errors },
      },
    },
    "/cleanup/{clip_id}": {
      delete: {
        summary: "Delete every object of a clip (dry run by default)",
        security: signed,
        parameters: [
          clipIdParam,
          { name: "dry_run", in: "query", schema: { type: "boolean", default: true } },
          { name: "confirm", in: "query", schema: { type: "boolean", default: false } },
        ],
        responses: {
          "200": respond("CleanupResponse"),
          "207": respond("CleanupResponse", "Partial failure"),
          "409": respond("ErrorBody", "Clip is being processed"),
          ...errors,
        },
      },
    },
    "/task/{task_id}": {
      get: {
        summary: "A background task",
        security: signed,
        parameters: [taskIdParam],
        responses: { "200": respond("Task"), "404": respond("ErrorBody", "Task not found"), ...errors },
      },
      delete: {
        summary: "Delete a finished task",
        security: signed,
        parameters: [taskIdParam],
        responses: {
          "200": { description: "Deleted" },
          "404": respond("ErrorBody"),
          "409": respond("ErrorBody", "Task running"),
          ...errors,
        },
      },
    },
    "/tasks": {
      get: {
        summary: "Recent tasks, newest first",
        security: signed,
        parameters: [
          { name: "limit", in: "query", schema: { type: "integer", minimum: 1, maximum: 1000, default: 50 } },
        ],
        responses: { "200": respond("TaskList"), ...errors },
      },
    },
    "/tasks/stats": {
      get: {
        summary: "Task counts by status",
        security: signed,
        responses: { "200": respond("TaskStats"), ...errors },
      },
    },
  },
};

export const openapi = new Hono<AppEnv>();
openapi.get("/openapi.json", (c) => c.json(document));
