/**
 * Environment parsing, once, for both sides. Names and defaults come from the contract;
 * a bad value names the variable and what is allowed (never the value of a secret).
 */
import { z } from "zod";
import { isLogLevel, LOG_LEVELS, type LogLevel } from "./log.ts";

export type RawEnv = Record<string, string | undefined>;

export class ConfigError extends Error {
  override readonly name = "ConfigError";
  readonly problems: string[];

  constructor(problems: string[]) {
    super(`Invalid configuration: ${problems.join("; ")}`);
    this.problems = problems;
  }
}

const TRUE_WORDS = new Set(["true", "1", "yes", "on"]);
const FALSE_WORDS = new Set(["false", "0", "no", "off"]);

/** An optional number variable within [min, max]; with `integer`, whole numbers only. */
function rangeVar(defaultValue: number, min: number, max: number, integer: boolean) {
  const expected = `expected ${integer ? "an integer" : "a number"} from ${min} to ${max}`;
  return z
    .string()
    .optional()
    .transform((raw, ctx) => {
      if (raw === undefined || raw.trim() === "") return defaultValue;
      const value = Number(raw.trim());
      if (!(integer ? Number.isInteger(value) : Number.isFinite(value)) || value < min || value > max) {
        ctx.addIssue({ code: "custom", message: expected });
        return z.NEVER;
      }
      return value;
    });
}

/** An optional integer variable within [min, max]. */
export const intVar = (defaultValue: number, min: number, max: number) => rangeVar(defaultValue, min, max, true);

/** An optional number variable within [min, max]. */
export const numberVar = (defaultValue: number, min: number, max: number) => rangeVar(defaultValue, min, max, false);

/** An optional boolean variable: true/false, 1/0, yes/no, on/off. */
export function boolVar(defaultValue: boolean) {
  return z
    .string()
    .optional()
    .transform((raw, ctx) => {
      if (raw === undefined || raw.trim() === "") return defaultValue;
      const word = raw.trim().toLowerCase();
      if (TRUE_WORDS.has(word)) return true;
      if (FALSE_WORDS.has(word)) return false;
      ctx.addIssue({ code: "custom", message: "expected true or false" });
      return z.NEVER;
    });
}

/** An optional comma-separated list, lowercased and trimmed. */
export function listVar() {
  return z
    .string()
    .optional()
    .transform((raw) =>
      (raw ?? "")
        .split(",")
        .map((item) => item.trim().toLowerCase())
        .filter(Boolean),
    );
}

/** An optional string; empty means unset. */
export function stringVar() {
  return z
    .string()
    .optional()
    .transform((raw) => (raw?.trim() ? raw.trim() : null));
}

/** An optional http(s) URL; empty means unset. */
export function urlVar() {
  return stringVar().refine((raw) => raw === null || /^https?:\/\/[^\s]+$/i.test(raw), "expected an http(s) URL");
}

/** Variables whose values never appear in an error message. */
const SECRET_VARS = new Set(["HMAC_SHARED_SECRET", "R2_SECRET_ACCESS_KEY", "R2_ACCESS_KEY_ID"]);

/** Parses `env` with `schema`, turning every issue into `NAME=value: what is allowed`. */
export function parseEnv<T extends z.ZodType>(schema: T, env: RawEnv): z.infer<T> {
  const result = schema.safeParse(env);
  if (result.success) return result.data;
  const problems = result.error.issues.map((issue) => {
    const name = String(issue.path[0] ?? "environment");
    const value = SECRET_VARS.has(name) ? "<hidden>" : JSON.stringify(env[name] ?? "");
    return `${name}=${value}: ${issue.message}`;
  });
  throw new ConfigError(problems);
}

export const DEFAULT_CLIP_SOURCE_URL_TEMPLATE = "https://clips.twitch.tv/{id}";
export const DEFAULT_BUCKET = "clip-recap-pipeline";

export const ENVIRONMENT_VARS = ["ENVIRONMENT", "NODE_ENV", "PYTHON_ENV", "FLASK_ENV", "VERCEL_ENV"] as const;
const PRODUCTION_WORDS = new Set(["production", "prod"]);
const DEVELOPMENT_WORDS = new Set(["development", "dev", "test"]);

export type Environment = "production" | "development" | "unknown";

/** Production when any of the environment variables says so; development when one says dev/test. */
export function detectEnvironment(env: RawEnv): Environment {
  const words = ENVIRONMENT_VARS.map((name) => env[name]?.trim().toLowerCase()).filter(Boolean) as string[];
  if (words.some((w) => PRODUCTION_WORDS.has(w))) return "production";
  if (words.some((w) => DEVELOPMENT_WORDS.has(w))) return "development";
  return "unknown";
}

/** Variables both the Worker and the engine read. */
export const sharedEnvSchema = z.object({
  HMAC_SHARED_SECRET: stringVar(),
  DISABLE_AUTH: boolVar(false),
  MAX_CLIP_DURATION: numberVar(300, 1, 86_400),
  AUDIO_SAMPLE_RATE: intVar(16_000, 8_000, 48_000),
  AUDIO_CHANNELS: intVar(1, 1, 2),
  STORE_VIDEO: boolVar(true),
  CLIP_SOURCE_URL_TEMPLATE: stringVar()
    .transform((raw) => raw ?? DEFAULT_CLIP_SOURCE_URL_TEMPLATE)
    .refine((t) => /^https?:\/\//i.test(t) && t.includes("{id}"), "expected an http(s) URL containing {id}"),
  R2_BUCKET: stringVar().transform((raw) => raw ?? DEFAULT_BUCKET),
  CLOUDFLARE_ACCOUNT_ID: stringVar(),
  R2_ACCESS_KEY_ID: stringVar(),
  R2_SECRET_ACCESS_KEY: stringVar(),
  S3_ENDPOINT: urlVar(),
  /** The seed's debug mode: the lowest level logged becomes `debug` unless LOG_LEVEL names one (logLevel). */
  DEBUG: boolVar(false),
  /**
   * The seed's "disable TLS verification for development". Nothing here turns TLS verification off: the
   * name is accepted so seed configurations keep working, and refused in production (insecureProblem).
   */
  ALLOW_INSECURE: boolVar(false),
  /** The lowest level logged (shared/log.ts): `warn` drops the one-line-per-request info logs. Unset: logLevel. */
  LOG_LEVEL: stringVar()
    .refine(
      (raw) => raw === null || isLogLevel(raw),
      `expected ${LOG_LEVELS.slice(0, -1).join(", ")} or ${LOG_LEVELS.at(-1)}`,
    )
    .transform((raw): LogLevel | null => (isLogLevel(raw) ? raw : null)),
});
export type SharedEnv = z.infer<typeof sharedEnvSchema>;

/**
 * Chunks default to 30 s because Whisper decodes fixed 30 s windows: a longer chunk is cut by
 * Whisper itself every 30 s wherever a word happens to fall, while a chunk of at most 30 s cut
 * at a silence fits one window whole. WhisperX's VAD chunks are at most 30 s for the same
 * reason. (The original cut fixed 90 s chunks.) At 16 kHz mono s16le a 30 s chunk is 960 KB,
 * 1.3 MB as base64: comfortably one Workers AI request.
 */
export const DEFAULT_CHUNK_SECONDS = 30;
/** Twitch VODs run for hours; longer sources are refused before anything is downloaded. */
export const DEFAULT_MAX_SOURCE_SECONDS = 4 * 3600;

/**
 * Everything the media engine reads, wherever it runs. The Worker forwards exactly these names
 * to the Container (worker/src/engine.ts), so a setting documented here can be set in production
 * with `wrangler.toml` vars or `wrangler secret put`.
 */
export const engineEnvSchema = sharedEnvSchema.extend({
  /** The deployment's environment, forwarded so the engine applies the same guards as the Worker. */
  ENVIRONMENT: stringVar(),
  JOB_CONCURRENCY: intVar(2, 1, 64), // best of 1-4 on standard-1 (README, "What one standard-1 instance sustains")
  CHUNK_SECONDS: numberVar(DEFAULT_CHUNK_SECONDS, 5, 600),
  CHUNK_OVERLAP_SECONDS: numberVar(0, 0, 10),
  MAX_SOURCE_DURATION: numberVar(DEFAULT_MAX_SOURCE_SECONDS, 1, 48 * 3600),
  SOURCE_HOSTS: listVar(),
  /**
   * Whether Twitch VODs (`https://www.twitch.tv/videos/N`, optionally `#start-end`) are
   * processed. Off by default: a VOD is hours of download, disk and CPU where a clip is
   * seconds, so an operator opts in; the existing caller sends only clips.
   */
  ALLOW_VODS: boolVar(false),
  METADATA_TIMEOUT_SECONDS: intVar(60, 1, 3600),
  DOWNLOAD_TIMEOUT_SECONDS: intVar(1800, 1, 6 * 3600),
  EXTRACT_TIMEOUT_SECONDS: intVar(1800, 1, 6 * 3600),
  UPLOAD_TIMEOUT_SECONDS: intVar(900, 1, 6 * 3600),
  /**
   * After SIGTERM (every rollout and host move), how long running jobs get to finish before
   * they are cut off as `engine_restarting` (and started again on a new instance). Cloudflare
   * kills the container 15 minutes after SIGTERM; 14 leaves a minute to report and exit.
   */
  DRAIN_SECONDS: intVar(840, 0, 900),
  /**
   * Local development only (`npm start` sets it): where clip ids starting with `demo-` are
   * fetched from, `<DEMO_SOURCE_URL>/<id>` (scripts/demo.ts serves the demo clips there).
   * Unset, a `demo-` id is an ordinary Twitch clip id. The Worker refuses to run with it
   * outside development (demoSourceProblem).
   */
  DEMO_SOURCE_URL: urlVar(),
});
export type EngineEnv = z.infer<typeof engineEnvSchema>;

/** The engine's variable names, derived from its schema. */
export const ENGINE_ENV_NAMES: readonly string[] = Object.keys(engineEnvSchema.shape);

/** The values of `names` that are set in `env` as non-empty strings. */
export function pickEnv(env: RawEnv, names: readonly string[]): Record<string, string> {
  const picked: Record<string, string> = {};
  for (const name of names) {
    const value = env[name];
    if (typeof value === "string" && value !== "") picked[name] = value;
  }
  return picked;
}

/**
 * Names in `env` that none of `known` declares: a typo there would otherwise be ignored in
 * silence. Names starting with `__` are put there by tools (the test pool), never by a person.
 */
export function unknownNames(env: RawEnv, known: Iterable<string>): string[] {
  const declared = new Set(known);
  return Object.keys(env)
    .filter((name) => !declared.has(name) && !name.startsWith("__"))
    .sort();
}

export interface S3Settings {
  endpoint: string;
  bucket: string;
  accessKeyId: string;
  secretAccessKey: string;
  region: string;
}

/**
 * Where the S3 API of the bucket is: `S3_ENDPOINT`, else R2's endpoint for the account.
 * Null when no credentials are configured (the engine then writes to a local folder).
 */
export function s3Settings(env: SharedEnv): S3Settings | null {
  const endpoint =
    env.S3_ENDPOINT ??
    (env.CLOUDFLARE_ACCOUNT_ID ? `https://${env.CLOUDFLARE_ACCOUNT_ID}.r2.cloudflarestorage.com` : null);
  if (!endpoint || !env.R2_ACCESS_KEY_ID || !env.R2_SECRET_ACCESS_KEY) return null;
  return {
    endpoint,
    bucket: env.R2_BUCKET,
    accessKeyId: env.R2_ACCESS_KEY_ID,
    secretAccessKey: env.R2_SECRET_ACCESS_KEY,
    region: "auto",
  };
}

/**
 * The contract's startup guards: null when authentication is configured safely, else the
 * reason every request must fail with a configuration error instead of running open.
 */
export function authConfigProblem(
  env: RawEnv,
  parsed: Pick<SharedEnv, "DISABLE_AUTH" | "HMAC_SHARED_SECRET">,
): string | null {
  const environment = detectEnvironment(env);
  if (parsed.DISABLE_AUTH) {
    if (environment === "production") return "DISABLE_AUTH=true is refused in production";
    if (environment !== "development") {
      return `DISABLE_AUTH=true requires one of ${ENVIRONMENT_VARS.join(", ")} to say development, dev or test`;
    }
    return null;
  }
  return parsed.HMAC_SHARED_SECRET ? null : "HMAC_SHARED_SECRET is not configured";
}

/**
 * Demo clips are a local-development feature: null when DEMO_SOURCE_URL is unset or an
 * environment variable says development/test, else why the service must not run with it
 * (a demo source in production would let callers point the engine at a local server).
 */
export function demoSourceProblem(env: RawEnv, parsed: Pick<EngineEnv, "DEMO_SOURCE_URL">): string | null {
  if (parsed.DEMO_SOURCE_URL === null) return null;
  const environment = detectEnvironment(env);
  if (environment === "production") return "DEMO_SOURCE_URL is refused in production (local development only)";
  if (environment !== "development") {
    return `DEMO_SOURCE_URL requires one of ${ENVIRONMENT_VARS.join(", ")} to say development, dev or test`;
  }
  return null;
}

/** The lowest level logged: LOG_LEVEL when set, else `debug` with DEBUG=true, else `info`. */
export function logLevel(parsed: Pick<SharedEnv, "LOG_LEVEL" | "DEBUG">): LogLevel {
  return parsed.LOG_LEVEL ?? (parsed.DEBUG ? "debug" : "info");
}

/** ALLOW_INSECURE=true in production: the reason to refuse to run (the contract never honours it there). */
export function insecureProblem(env: RawEnv, parsed: Pick<SharedEnv, "ALLOW_INSECURE">): string | null {
  if (!parsed.ALLOW_INSECURE || detectEnvironment(env) !== "production") return null;
  return "ALLOW_INSECURE=true is refused in production (TLS verification is never turned off)";
}

/** Expands `CLIP_SOURCE_URL_TEMPLATE` for one clip id. */
export function clipSourceUrl(template: string, clipId: string): string {
  return template.replaceAll("{id}", encodeURIComponent(clipId));
}
