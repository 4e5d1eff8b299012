/**
 * What `wrangler deploy` would deploy, read the way wrangler reads it: every environment is
 * safe to deploy as it stands, names its bucket once in effect (the engine's R2_BUCKET and the
 * Worker's binding agree), declares every class and binding the code needs, and keeps the
 * Worker's and the engine's logs in Workers Logs.
 */

import { describe, expect, it } from "vitest";
import { unstable_readConfig } from "wrangler";
import type { z } from "zod";
import {
  authConfigProblem,
  demoSourceProblem,
  detectEnvironment,
  engineEnvSchema,
  insecureProblem,
} from "../../shared/config.ts";
import { ENGINE_INSTANCES } from "../../shared/job.ts";
import { workerEnvSchema } from "../../worker/src/config.ts";

const ENVIRONMENTS = [undefined, "staging"] as const;
/** The recap pipeline's bucket: production writes the audio where its caller reads it. */
const PRODUCTION_BUCKET = "clip-recap-assets";
/** The parts of wrangler's resolved config these tests read. */
interface DeployConfig {
  name?: string;
  vars: Record<string, unknown>;
  r2_buckets: { binding: string; bucket_name?: string }[];
  containers?: {
    name?: string;
    class_name: string;
    image?: string;
    max_instances?: number;
    rollout_active_grace_period?: number;
    observability?: { enabled?: boolean; logs?: { enabled?: boolean } };
  }[];
  observability?: {
    enabled?: boolean;
    head_sampling_rate?: number;
    logs?: { enabled?: boolean; invocation_logs?: boolean };
  };
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

  it("sets only what differs from the code's defaults, each a setting the code reads", () => {
    const settings = workerEnvSchema.shape as Record<string, z.ZodType>;
    for (const [name, value] of Object.entries(vars)) {
      const setting = settings[name];
      expect(setting, `${name} is not a setting`).toBeDefined();
      // A default written here too would be a second copy to keep in step with the schema's.
      expect(setting?.parse(value), `${name} repeats its default`).not.toEqual(setting?.parse(undefined));
    }
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

  it("keeps the Worker's logs (every invocation) and the engine's in Workers Logs", () => {
    expect(config.observability?.enabled).toBe(true);
    expect(config.observability?.head_sampling_rate ?? 1).toBe(1);
    expect(config.observability?.logs?.enabled).toBe(true);
    expect(config.observability?.logs?.invocation_logs).toBe(true);
    // Named on the container application itself, not left to wrangler's fallback to the
    // Worker's setting (its newer Durable Object-managed container form has no such fallback).
    expect(config.containers?.[0]?.observability?.logs?.enabled).toBe(true);
  });

  it("lets a rollout's busy engine finish its jobs: a grace period, then a drain that ends before SIGKILL", () => {
    // Cloudflare kills a container 15 minutes after SIGTERM; the engine must have reported by then.
    const drainSeconds = engineEnvSchema.shape.DRAIN_SECONDS.parse(vars.DRAIN_SECONDS);
    expect(drainSeconds).toBeGreaterThanOrEqual(60);
    expect(drainSeconds).toBeLessThanOrEqual(15 * 60 - 30);
    expect(config.containers?.[0]?.rollout_active_grace_period).toBeGreaterThanOrEqual(60);
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

it("refuses ALLOW_INSECURE in production", () => {
  const vars = read(undefined).vars as Record<string, string>;
  expect(insecureProblem({ ...vars, ALLOW_INSECURE: "true" }, { ALLOW_INSECURE: true })).toMatch(
    /refused in production/,
  );
});

it("runs the same containers in every environment (wrangler does not let an environment inherit them)", () => {
  // The application's name is derived from the Worker's, which differs by design.
  const settings = (env: string | undefined) => read(env).containers?.map(({ name: _name, ...rest }) => rest);
  expect(settings("staging")).toEqual(settings(undefined));
});

it("gives each environment its own Worker name and bucket, so one deploy never overwrites another", () => {
  const [production, staging] = ENVIRONMENTS.map(read);
  expect(production?.name).toBe("clip-audio");
  expect(production?.vars.ENVIRONMENT).toBe("production");
  expect(production?.vars.R2_BUCKET).toBe(PRODUCTION_BUCKET);
  expect(production?.r2_buckets.find((b) => b.binding === "BUCKET")?.bucket_name).toBe(PRODUCTION_BUCKET);
  expect(staging?.name).not.toBe(production?.name);
  expect(staging?.vars.R2_BUCKET).toBe(`${PRODUCTION_BUCKET}-staging`);
});
