/**
 * The engine's channel route, called only by the Worker (HMAC-signed like the job routes):
 *   POST /extractor/resolve {channel}  the channel's newest build, downloaded and verified here:
 *     200 {build}                       ready to be tried on the canary clip (a job with `extractor`)
 *     502 {detail, code}                `refused`: it failed verification and was discarded;
 *                                       `unavailable`: the release could not be fetched
 */
import { Hono } from "hono";
import { ExtractorResolved, ExtractorResolveRequest } from "../../../shared/job.ts";
import { buildStore } from "./builds.ts";
import { VerificationError } from "./signature.ts";

export function channelRoutes(workDir: () => string): Hono {
  const app = new Hono();
  app.post("/extractor/resolve", async (c) => {
    const parsed = ExtractorResolveRequest.safeParse(await c.req.json().catch(() => null));
    if (!parsed.success) return c.json({ detail: "Expected {channel: 'stable' | 'nightly'}" }, 400);
    try {
      const local = await buildStore(workDir()).newest(parsed.data.channel);
      return c.json(ExtractorResolved.parse({ build: local.build }));
    } catch (error) {
      const code = error instanceof VerificationError ? "refused" : "unavailable";
      return c.json({ detail: (error as Error).message, code }, 502);
    }
  });
  return app;
}
