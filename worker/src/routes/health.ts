/** GET /health: 200 when healthy, 503 when not (./operations/health.ts does the checks). */
import { createRoute } from "@hono/zod-openapi";
import { requestContext } from "../operations/context.ts";
import { health as checkHealth } from "../operations/health.ts";
import { Body, json, openResponses, routes } from "./openapi.ts";

export const health = routes();

const healthRoute = createRoute({
  method: "get",
  path: "/health",
  summary: "Service health (open: no signature, not rate-limited)",
  responses: {
    200: json(Body.Health, "Healthy"),
    503: json(
      Body.Health,
      "Unhealthy (`problems` says why): the bucket or the Durable Objects did not answer, or a production engine lacks bucket credentials",
    ),
    ...openResponses,
  },
});

health.openapi(healthRoute, async (c) => {
  const body = await checkHealth(requestContext(c));
  return body.status === "healthy" ? c.json(body, 200) : c.json(body, 503);
});
