import { describe, expect, it } from "vitest";
import {
  authConfigProblem,
  ConfigError,
  clipSourceUrl,
  DEFAULT_CLIP_SOURCE_URL_TEMPLATE,
  demoSourceProblem,
  detectEnvironment,
  engineEnvSchema,
  insecureProblem,
  logLevel,
  parseEnv,
  s3Settings,
  sharedEnvSchema,
  unknownNames,
} from "./config.ts";

const parse = (env: Record<string, string>) => parseEnv(sharedEnvSchema, env);

function problemsOf(env: Record<string, string>): string[] {
  try {
    parse(env);
  } catch (error) {
    if (error instanceof ConfigError) return error.problems;
    throw error;
  }
  throw new Error("expected a ConfigError");
}

describe("sharedEnvSchema", () => {
  it("has the contract's defaults", () => {
    expect(parse({})).toMatchObject({
      HMAC_SHARED_SECRET: null,
      DISABLE_AUTH: false,
      MAX_CLIP_DURATION: 300,
      AUDIO_SAMPLE_RATE: 16000,
      AUDIO_CHANNELS: 1,
      STORE_VIDEO: true,
      CLIP_SOURCE_URL_TEMPLATE: DEFAULT_CLIP_SOURCE_URL_TEMPLATE,
      R2_BUCKET: "clip-recap-pipeline",
      S3_ENDPOINT: null,
      DEBUG: false,
    });
  });

  it("reads values", () => {
    expect(
      parse({
        AUDIO_SAMPLE_RATE: "22050",
        AUDIO_CHANNELS: "2",
        STORE_VIDEO: "false",
        MAX_CLIP_DURATION: "90.5",
        DEBUG: "1",
      }),
    ).toMatchObject({
      AUDIO_SAMPLE_RATE: 22050,
      AUDIO_CHANNELS: 2,
      STORE_VIDEO: false,
      MAX_CLIP_DURATION: 90.5,
      DEBUG: true,
    });
  });

  it("names the variable, the value and the allowed range for every bad value", () => {
    expect(problemsOf({ AUDIO_SAMPLE_RATE: "abc", STORE_VIDEO: "maybe", AUDIO_CHANNELS: "6" })).toEqual([
      'AUDIO_SAMPLE_RATE="abc": expected an integer from 8000 to 48000',
      'AUDIO_CHANNELS="6": expected an integer from 1 to 2',
      'STORE_VIDEO="maybe": expected true or false',
    ]);
    expect(problemsOf({ CLIP_SOURCE_URL_TEMPLATE: "http://x/clip" })).toEqual([
      'CLIP_SOURCE_URL_TEMPLATE="http://x/clip": expected an http(s) URL containing {id}',
    ]);
  });

  it("never prints a secret's value", () => {
    const schema = sharedEnvSchema.extend({
      HMAC_SHARED_SECRET: sharedEnvSchema.shape.HMAC_SHARED_SECRET.refine(
        (s) => s === null || s.length >= 8,
        "too short",
      ),
    });
    try {
      parseEnv(schema, { HMAC_SHARED_SECRET: "hunter2" });
      expect.unreachable();
    } catch (error) {
      expect(String(error)).toContain("HMAC_SHARED_SECRET=<hidden>: too short");
      expect(String(error)).not.toContain("hunter2");
    }
  });
});

describe("detectEnvironment and authConfigProblem", () => {
  const guard = (env: Record<string, string>) => authConfigProblem(env, parse(env));

  it("production wins over any development word", () => {
    expect(detectEnvironment({ NODE_ENV: "development", VERCEL_ENV: "production" })).toBe("production");
    expect(detectEnvironment({ PYTHON_ENV: "test" })).toBe("development");
    expect(detectEnvironment({})).toBe("unknown");
  });

  it("requires a secret unless auth is disabled", () => {
    expect(guard({})).toBe("HMAC_SHARED_SECRET is not configured");
    expect(guard({ HMAC_SHARED_SECRET: "s3cret" })).toBeNull();
  });

  it("refuses DISABLE_AUTH in production and when no variable says development", () => {
    expect(guard({ DISABLE_AUTH: "true", ENVIRONMENT: "production" })).toBe(
      "DISABLE_AUTH=true is refused in production",
    );
    expect(guard({ DISABLE_AUTH: "true", FLASK_ENV: "dev", NODE_ENV: "prod" })).toBe(
      "DISABLE_AUTH=true is refused in production",
    );
    expect(guard({ DISABLE_AUTH: "true" })).toMatch(/^DISABLE_AUTH=true requires one of ENVIRONMENT, NODE_ENV/);
    expect(guard({ DISABLE_AUTH: "true", ENVIRONMENT: "test" })).toBeNull();
  });
});

describe("s3Settings", () => {
  it("is null without credentials, R2's endpoint for an account, S3_ENDPOINT when given", () => {
    expect(s3Settings(parse({ CLOUDFLARE_ACCOUNT_ID: "acc" }))).toBeNull();
    expect(
      s3Settings(parse({ CLOUDFLARE_ACCOUNT_ID: "acc", R2_ACCESS_KEY_ID: "k", R2_SECRET_ACCESS_KEY: "s" })),
    ).toEqual({
      endpoint: "https://acc.r2.cloudflarestorage.com",
      bucket: "clip-recap-pipeline",
      accessKeyId: "k",
      secretAccessKey: "s",
      region: "auto",
    });
    expect(
      s3Settings(
        parse({
          S3_ENDPOINT: "http://127.0.0.1:4568",
          R2_ACCESS_KEY_ID: "k",
          R2_SECRET_ACCESS_KEY: "s",
          R2_BUCKET: "b",
        }),
      ),
    ).toMatchObject({ endpoint: "http://127.0.0.1:4568", bucket: "b" });
  });
});

describe("clipSourceUrl", () => {
  it("substitutes the id", () => {
    expect(clipSourceUrl("http://127.0.0.1:9/clips/{id}.mp4", "AbC")).toBe("http://127.0.0.1:9/clips/AbC.mp4");
  });
});

describe("demoSourceProblem: demo clips are local development only", () => {
  const demo = (env: Record<string, string>) =>
    demoSourceProblem(env, parseEnv(engineEnvSchema, { DEMO_SOURCE_URL: "http://127.0.0.1:8791", ...env }));

  it("allows DEMO_SOURCE_URL only when a variable says development or test", () => {
    expect(demo({ ENVIRONMENT: "development" })).toBeNull();
    expect(demo({ NODE_ENV: "test" })).toBeNull();
    expect(demo({ ENVIRONMENT: "production" })).toBe(
      "DEMO_SOURCE_URL is refused in production (local development only)",
    );
    expect(demo({ ENVIRONMENT: "development", VERCEL_ENV: "production" })).toMatch(/refused in production/);
    expect(demo({})).toMatch(/^DEMO_SOURCE_URL requires one of ENVIRONMENT, NODE_ENV/);
    expect(demo({ ENVIRONMENT: "staging" })).toMatch(/requires/);
  });

  it("has nothing to say when it is unset, in any environment", () => {
    expect(demoSourceProblem({ ENVIRONMENT: "production" }, parseEnv(engineEnvSchema, {}))).toBeNull();
  });

  it("must be an http(s) URL", () => {
    expect(() => parseEnv(engineEnvSchema, { DEMO_SOURCE_URL: "ftp://x" })).toThrow(
      'DEMO_SOURCE_URL="ftp://x": expected an http(s) URL',
    );
  });
});

describe("unknownNames", () => {
  const known = Object.keys(sharedEnvSchema.shape);

  it("names a misspelt setting and nothing the schema declares", () => {
    expect(
      unknownNames({ MAX_CLIP_DURATON: "60", MAX_CLIP_DURATION: "60", AUDIO_SAMPLE_RATE: "16000" }, known),
    ).toEqual(["MAX_CLIP_DURATON"]);
  });

  it("leaves out what tools inject (names starting with __), sorted otherwise", () => {
    expect(unknownNames({ __VITEST_POOL_WORKERS_VITEST_MAJOR_VERSION: "4", ZED: "", ALPHA: "" }, known)).toEqual([
      "ALPHA",
      "ZED",
    ]);
  });
});

describe("the seed's DEBUG and ALLOW_INSECURE", () => {
  it("DEBUG=true logs from debug up unless LOG_LEVEL names a level; a bad LOG_LEVEL is refused by name", () => {
    expect(logLevel(parse({}))).toBe("info");
    expect(logLevel(parse({ DEBUG: "true" }))).toBe("debug");
    expect(logLevel(parse({ DEBUG: "true", LOG_LEVEL: "warn" }))).toBe("warn");
    expect(logLevel(parse({ LOG_LEVEL: "error" }))).toBe("error");
    expect(problemsOf({ LOG_LEVEL: "verbose" })).toEqual(['LOG_LEVEL="verbose": expected debug, info, warn or error']);
  });

  it("ALLOW_INSECURE=true is refused in production and changes nothing elsewhere", () => {
    const on = parse({ ALLOW_INSECURE: "true" });
    expect(insecureProblem({ ENVIRONMENT: "production" }, on)).toMatch(/^ALLOW_INSECURE=true is refused in production/);
    expect(insecureProblem({ ENVIRONMENT: "production" }, parse({}))).toBeNull();
    expect(insecureProblem({ ENVIRONMENT: "development" }, on)).toBeNull();
    expect(insecureProblem({}, on)).toBeNull();
  });
});
