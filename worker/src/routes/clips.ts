/**
 * The clip routes: process, status, listing and cleanup. The work is in ../operations/clips.ts,
 * shared with the RPC entrypoint; what is HTTP's alone stays here (JSON bodies, query strings,
 * the idempotency header).
 */
import { Hono } from "hono";
import { IDEMPOTENCY_HEADER, IDEMPOTENCY_KEY_PATTERN } from "../../../shared/hmac.ts";
import { ApiError } from "../errors.ts";
import {
  cleanup,
  clipStatus,
  listProcessedClips,
  type ProcessAnswer,
  processClips,
  validClipId,
} from "../operations/clips.ts";
import { requestContext } from "../operations/context.ts";
import type { AppEnv } from "../types.ts";

export const clips = new Hono<AppEnv>();

async function readJson(request: Request): Promise<unknown> {
  try {
    return await request.json();
  } catch {
    throw new ApiError(400, "Request body must be valid JSON");
  }
}

async function sha256Hex(text: string): Promise<string> {
  const digest = await crypto.subtle.digest("SHA-256", new TextEncoder().encode(text));
  return [...new Uint8Array(digest)].map((b) => b.toString(16).padStart(2, "0")).join("");
}

/**
 * How long a request waits for the first one with its idempotency key and body to answer
 * before it gets 409: a retried request wants the first one's response (that is what the key
 * promises), but is not held open indefinitely.
 */
const IDEMPOTENCY_WAIT_MS = 60_000;

const JSON_TYPE = { "content-type": "application/json" };

clips.post("/process-clips", async (c) => {
  const idempotencyKey = c.req.header(IDEMPOTENCY_HEADER);
  if (idempotencyKey !== undefined && !IDEMPOTENCY_KEY_PATTERN.test(idempotencyKey)) {
    throw new ApiError(400, `${IDEMPOTENCY_HEADER} must be 16-64 letters, digits or hyphens`);
  }
  const work = async () =>
    processClips(requestContext(c), await readJson(c.req.raw), { onIds: (ids) => c.set("clipIds", ids) });
  if (!idempotencyKey) {
    const answer = await work();
    return c.json(answer.response, answer.status);
  }
  // Claimed before the work, so concurrent requests with one key cannot all do it.
  const store = c.env.IDEMPOTENCY.get(c.env.IDEMPOTENCY.idFromName(idempotencyKey));
  const bodyHash = await sha256Hex(await c.req.raw.clone().text());
  const claim = await store.claim(bodyHash, IDEMPOTENCY_WAIT_MS);
  if (claim.outcome === "conflict") {
    throw new ApiError(422, `${IDEMPOTENCY_HEADER} was already used with a different body`);
  }
  if (claim.outcome === "busy") {
    throw new ApiError(409, `${IDEMPOTENCY_HEADER} is in use by a request still in progress; retry later`, {
      "Retry-After": "10",
    });
  }
  if (claim.outcome === "done") {
    const { status, body } = claim.response;
    return c.body(body, status as 200, { ...JSON_TYPE, "Idempotent-Replayed": "true" });
  }
  let answer: ProcessAnswer;
  try {
    answer = await work();
  } catch (error) {
    // Refused or failed before it had a response: the key is free for a corrected request.
    await store.release(bodyHash);
    throw error;
  }
  const text = JSON.stringify(answer.response);
  await store.complete({ bodyHash, status: answer.status, body: text });
  return c.body(text, answer.status, JSON_TYPE);
});

clips.get("/clip-status/:clipId", async (c) => {
  c.set("clipIds", [validClipId(c.req.param("clipId"))]);
  return c.json(await clipStatus(requestContext(c), c.req.param("clipId")));
});

clips.get("/list-processed-clips", async (c) =>
  c.json(await listProcessedClips(requestContext(c), { limit: c.req.query("limit"), cursor: c.req.query("cursor") })),
);

clips.delete("/cleanup/:clipId", async (c) => {
  c.set("clipIds", [validClipId(c.req.param("clipId"))]);
  const answer = await cleanup(requestContext(c), c.req.param("clipId"), {
    dryRun: c.req.query("dry_run") !== "false",
    confirm: c.req.query("confirm") === "true",
  });
  return c.json(answer.response, answer.status);
});
