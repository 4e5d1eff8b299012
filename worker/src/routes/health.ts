/** GET /health: 200 when healthy, 503 when not (./operations/health.ts does the checks). */
import { Hono } from "hono";
import { requestContext } from "../operations/context.ts";
import { health as checkHealth } from "../operations/health.ts";
import type { AppEnv } from "../types.ts";

export const health = new Hono<AppEnv>();

health.get("/health", async (c) => {
  const body = await checkHealth(requestContext(c));
  return c.json(body, body.status === "healthy" ? 200 : 503);
});
