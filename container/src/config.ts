/**
 * The engine's configuration: the contract's shared variables plus its own,
 * parsed once at start. A bad value stops the process with a message naming the variable.
 */
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import type { z } from "zod";
import { bucketCredentialsProblem } from "../../shared/bucket-credentials.ts";
import {
  ConfigError,
  demoSourceProblem,
  detectEnvironment,
  engineEnvSchema,
  insecureProblem,
  intVar,
  parseEnv,
  type RawEnv,
  stringVar,
} from "../../shared/config.ts";

/** The engine's settings plus what only the process itself needs (where to listen and write). */
export const engineProcessEnvSchema = engineEnvSchema.extend({
  PORT: intVar(8080, 0, 65_535),
  HOST: stringVar().transform((raw) => raw ?? "0.0.0.0"),
  WORK_DIR: stringVar().transform((raw) => resolve(raw ?? join(tmpdir(), "clip-audio"))),
  OUTPUT_DIR: stringVar().transform((raw) => resolve(raw ?? "output")),
  /** Set by the image: the user the engine switches to after starting as root (./privileges.ts). */
  RUN_AS_USER: stringVar(),
});
export type EngineConfig = z.infer<typeof engineProcessEnvSchema>;

export function loadConfig(env: RawEnv = process.env): EngineConfig {
  const config = parseEnv(engineProcessEnvSchema, env);
  // The Worker refuses a demo source outside development and forwards ENVIRONMENT; the engine
  // run on its own (the CLI) is often told nothing, so it refuses only when told production.
  const demoProblem = detectEnvironment(env) === "production" ? demoSourceProblem(env, config) : null;
  // In production the local folder would be the container's own disk: refuse to start instead.
  const problems = [demoProblem, insecureProblem(env, config), bucketCredentialsProblem(env, config)].filter(
    (p): p is string => p !== null,
  );
  if (problems.length > 0) throw new ConfigError(problems);
  return config;
}
