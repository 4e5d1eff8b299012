/**
 * What `wrangler deploy` would deploy, read the way wrangler reads it: every environment is
 * safe to deploy as it stands, names its bucket once in effect (the engine's R2_BUCKET and the
 * Worker's binding agree), and declares every class and binding the code needs.
 */

import { describe, expect, it } from "vitest";
import { unstable_readConfig } from "wrangler";
import { authConfigProblem, demoSourceProblem, detectEnvironment } from "../../shared/config.ts";
import { ENGINE_INSTANCES } from "../../shared/job.ts";

const ENVIRONMENTS = [undefined, "staging"] as const;
/** The parts of wrangler's resolved config these tests read. */
interface DeployConfig {
  name?: string;
  vars: Record<string, unknown>;
  r2_buckets: { binding: string; bucket_name?: string }[];
  containers?: { class_name: string; image?: string; max_instances?: number }[];
  triggers: { crons?: string[] };
  durable_objects: { bindings: { name: string; class_name: string }[] };
}

const read = (env: string | undefined): DeployConfig => unstable_readConfig({ config: "wrangler.toml", env });

describe.each(ENVIRONMENTS)("wrangler.toml, environment %s", (env) => {
  const config = read(env);
  const vars = config.vars as Record<string, string>;

  it("is not a development deployment: DISABLE_AUTH would be refused", () => {
    expect(detectEnvironment(vars)).not.toBe("development");
    expect(
      authConfigProblem({ ...vars, DISABLE_AUTH: "true" }, { DISABLE_AUTH: true, HMAC_SHARED_SECRET: "x" }),
    ).toMatch(/^DISABLE_AUTH=true (is refused|requires)/);
  });

  it("serves no demo clips: DEMO_SOURCE_URL is never set, and would be refused", () => {
    expect(vars.DEMO_SOURCE_URL).toBeUndefined();
    expect(demoSourceProblem(vars, { DEMO_SOURCE_URL: "http://127.0.0.1:8791" })).toMatch(
      /^DEMO_SOURCE_URL (is refused|requires)/,
    );
  });

  it("names one bucket for the engine's S3 writes and the Worker's binding", () => {
    const binding = config.r2_buckets.find((b) => b.binding === "BUCKET");
    expect(binding?.bucket_name).toBe(vars.R2_BUCKET);
  });

  it("runs the AudioEngine container from the Dockerfile, and the canary on a schedule", () => {
    expect(config.containers?.map((c) => c.class_name)).toEqual(["AudioEngine"]);
    expect(config.containers?.[0]?.image).toMatch(/\/Dockerfile$/);
    // Clips are spread over ENGINE_INSTANCES named instances: each must be allowed to run.
    expect(config.containers?.[0]?.max_instances).toBeGreaterThanOrEqual(ENGINE_INSTANCES);
    expect(config.triggers.crons?.length).toBe(1);
    const classes = config.durable_objects.bindings.map((b) => b.class_name).sort();
    expect(classes).toEqual(
      ["AudioEngine", "ClipJob", "EngineMonitor", "IdempotencyStore", "NonceStore", "RateLimiter", "TaskStore"].sort(),
    );
  });
});

it("gives each environment its own Worker name and bucket, so one deploy never overwrites another", () => {
  const [production, staging] = ENVIRONMENTS.map(read);
  expect(production?.name).toBe("clip-audio");
  expect(production?.vars.ENVIRONMENT).toBe("production");
  expect(staging?.name).not.toBe(production?.name);
  expect(staging?.vars.R2_BUCKET).not.toBe(production?.vars.R2_BUCKET);
});
