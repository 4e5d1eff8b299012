import { describe, expect, it } from "vitest";
import { bucketCredentialsProblem, missingBucketSettings } from "./bucket-credentials.ts";
import { sharedEnvSchema } from "./config.ts";

const parsed = (env: Record<string, string>) => sharedEnvSchema.parse(env);
const FULL = { CLOUDFLARE_ACCOUNT_ID: "acct", R2_ACCESS_KEY_ID: "id", R2_SECRET_ACCESS_KEY: "key" };

describe("missingBucketSettings", () => {
  it("names each missing setting; an S3 endpoint stands in for the account id", () => {
    expect(missingBucketSettings(parsed(FULL))).toEqual([]);
    expect(missingBucketSettings(parsed({}))).toEqual([
      "CLOUDFLARE_ACCOUNT_ID (or S3_ENDPOINT)",
      "R2_ACCESS_KEY_ID",
      "R2_SECRET_ACCESS_KEY",
    ]);
    expect(
      missingBucketSettings(
        parsed({ S3_ENDPOINT: "http://127.0.0.1:4568", R2_ACCESS_KEY_ID: "id", R2_SECRET_ACCESS_KEY: " " }),
      ),
    ).toEqual(["R2_SECRET_ACCESS_KEY"]);
  });
});

describe("bucketCredentialsProblem", () => {
  it("is a problem only in production, and never shows a value", () => {
    const partial = { R2_ACCESS_KEY_ID: "visible-key-id" };
    const problem = bucketCredentialsProblem({ ENVIRONMENT: "production" }, parsed(partial));
    expect(problem).toContain("CLOUDFLARE_ACCOUNT_ID (or S3_ENDPOINT), R2_SECRET_ACCESS_KEY not set");
    expect(problem).not.toContain("visible-key-id");
    expect(bucketCredentialsProblem({ ENVIRONMENT: "production" }, parsed(FULL))).toBeNull();
    for (const environment of ["development", "staging", ""]) {
      expect(bucketCredentialsProblem({ ENVIRONMENT: environment }, parsed({}))).toBeNull();
    }
  });
});
