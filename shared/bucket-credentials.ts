/**
 * The engine writes to the bucket through its S3 API; without credentials it writes to a local
 * folder instead (development, the CLI). In a deployment that folder is the container's own disk,
 * which the Worker never reads and which is gone when the instance stops, so in production a
 * missing credential is a configuration error on the engine's side and a reason on /health.
 */
import { detectEnvironment, type RawEnv, type SharedEnv } from "./config.ts";

type BucketSettings = Pick<
  SharedEnv,
  "S3_ENDPOINT" | "CLOUDFLARE_ACCOUNT_ID" | "R2_ACCESS_KEY_ID" | "R2_SECRET_ACCESS_KEY"
>;

/** The settings the engine lacks to reach the bucket over S3, by name; empty when it has them. */
export function missingBucketSettings(parsed: BucketSettings): string[] {
  const missing: string[] = [];
  if (!parsed.S3_ENDPOINT && !parsed.CLOUDFLARE_ACCOUNT_ID) missing.push("CLOUDFLARE_ACCOUNT_ID (or S3_ENDPOINT)");
  if (!parsed.R2_ACCESS_KEY_ID) missing.push("R2_ACCESS_KEY_ID");
  if (!parsed.R2_SECRET_ACCESS_KEY) missing.push("R2_SECRET_ACCESS_KEY");
  return missing;
}

/**
 * Null unless the environment says production and a bucket setting is missing; then what is
 * missing and how to set it (names only, never a value).
 */
export function bucketCredentialsProblem(env: RawEnv, parsed: BucketSettings): string | null {
  if (detectEnvironment(env) !== "production") return null;
  const missing = missingBucketSettings(parsed);
  if (missing.length === 0) return null;
  return (
    `the engine has no bucket credentials in production: ${missing.join(", ")} not set ` +
    "(`wrangler secret put NAME`); without them it would write to the container's own disk, which the Worker never reads"
  );
}
