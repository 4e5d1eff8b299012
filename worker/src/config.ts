/**
 * The Worker's configuration, read from its bindings' string vars once per isolate (per env
 * object), with the contract's defaults and the startup guards.
 */
import { z } from "zod";
import {
  authConfigProblem,
  boolVar,
  demoSourceProblem,
  ENVIRONMENT_VARS,
  engineEnvSchema,
  insecureProblem,
  intVar,
  listVar,
  logLevel,
  parseEnv,
  stringVar,
  unknownNames,
  urlVar,
} from "../../shared/config.ts";
import { CHANNEL_POLICIES, isChannelPolicy } from "./extractor-policy.ts";
import { log, setLogLevel } from "./log.ts";

/**
 * The Worker parses the engine's settings too: a bad value is reported here, by name, instead
 * of as a container that will not start.
 */
export const workerEnvSchema = engineEnvSchema.extend({
  RATE_LIMIT_REQUESTS: intVar(10, 1, 100_000),
  RATE_LIMIT_WINDOW_SECONDS: intVar(60, 1, 86_400),
  CALLBACK_HOSTS: listVar(),
  /**
   * Refuse signature version 1 (body + timestamp + nonce), which does not cover the method,
   * path or query. Off by default: the recap pipeline, the existing caller, signs version 1.
   */
  HMAC_REQUIRE_V2: boolVar(false),
  CONTAINER_URL: urlVar(),
  /** How long finished task records are kept. */
  TASK_RETENTION_HOURS: intVar(72, 1, 24 * 90),
  /** Clips of one sync request processed at once. */
  SYNC_CONCURRENCY: intVar(4, 1, 10),
  /**
   * How long one Durable Object alarm follows an engine job before it lets go and the next
   * alarm joins the job again: well inside the 15 minutes an alarm may run.
   */
  JOB_FOLLOW_SECONDS: intVar(600, 1, 840),
  /** A public clip id the scheduled canary runs through the engine; unset turns it off. */
  CANARY_CLIP_ID: stringVar(),
  /** The operator console's secret (sign-in token, session and CSRF keys); unset: no console. */
  CONSOLE_TOKEN: stringVar(),
  /** Cloudflare Access in front of /console: the team domain (`<team>.cloudflareaccess.com`)… */
  CONSOLE_ACCESS_TEAM_DOMAIN: stringVar(),
  /** …and the Access application's audience tag. Both set: the Access JWT is required. */
  CONSOLE_ACCESS_AUD: stringVar(),
  /**
   * Console requests per client and window (RATE_LIMIT_WINDOW_SECONDS). A page with a player
   * and live progress makes many small requests; sign-in attempts keep the API's limit.
   */
  CONSOLE_RATE_LIMIT_REQUESTS: intVar(600, 1, 100_000),
  /**
   * Which yt-dlp the engines run (README, "yt-dlp channels"; worker/src/extractor-channel.ts):
   * `pinned` only container/yt-dlp.release; `auto` the pin until the canary reports
   * `extractor_outdated`, then the newest stable, else nightly, build that passes the canary;
   * `stable`/`nightly` that channel's newest build once it passes the canary (checked every run).
   */
  EXTRACTOR_CHANNEL: z
    .string()
    .optional()
    .transform((raw, ctx) => {
      const word = raw?.trim().toLowerCase() || "auto";
      if (isChannelPolicy(word)) return word;
      ctx.addIssue({ code: "custom", message: `expected one of ${CHANNEL_POLICIES.join(", ")}` });
      return z.NEVER;
    }),
});

/** Every setting the Worker reads, the engine's included. */
export const SETTING_NAMES: readonly string[] = Object.keys(workerEnvSchema.shape);
export type SettingName = keyof typeof workerEnvSchema.shape;
/** Every variable name that means something to the service (the environment words too). */
export const KNOWN_SETTINGS: readonly string[] = [...SETTING_NAMES, ...ENVIRONMENT_VARS];
export type WorkerConfig = z.infer<typeof workerEnvSchema>;

export type LoadedConfig = { ok: true; config: WorkerConfig } | { ok: false; problem: string };

const cache = new WeakMap<object, LoadedConfig>();

/** The two settings of the log level, read leniently before the whole parse (which names a bad one). */
const logSettings = z.object({
  LOG_LEVEL: workerEnvSchema.shape.LOG_LEVEL.catch(null),
  DEBUG: workerEnvSchema.shape.DEBUG.catch(false),
});

function asStrings(env: object): Record<string, string | undefined> {
  const out: Record<string, string | undefined> = {};
  for (const [key, value] of Object.entries(env)) if (typeof value === "string") out[key] = value;
  return out;
}

/** Parses once per env object; a bad value or an unsafe auth setup becomes `problem`. */
export function loadConfig(env: object): LoadedConfig {
  const cached = cache.get(env);
  if (cached) return cached;
  let loaded: LoadedConfig;
  try {
    const raw = asStrings(env);
    // Before the parse, so its own warnings honour the level (a bad value is reported below).
    setLogLevel(logLevel(parseEnv(logSettings, raw)));
    const unknown = unknownNames(raw, KNOWN_SETTINGS);
    if (unknown.length > 0) log("warn", { msg: "unknown settings ignored (typo?)", names: unknown });
    const config = parseEnv(workerEnvSchema, raw);
    const problem = authConfigProblem(raw, config) ?? demoSourceProblem(raw, config) ?? insecureProblem(raw, config);
    loaded = problem ? { ok: false, problem } : { ok: true, config };
  } catch (error) {
    loaded = { ok: false, problem: (error as Error).message };
  }
  cache.set(env, loaded);
  return loaded;
}
