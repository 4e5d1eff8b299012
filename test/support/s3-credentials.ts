/**
 * s3rver (a test double of S3) accepts only its own fixed credentials. Without imports, so the
 * Worker's tests in workerd can read it too.
 */
export const S3RVER_CREDENTIALS = { R2_ACCESS_KEY_ID: "S3RVER", R2_SECRET_ACCESS_KEY: "S3RVER" } as const;

/** The same, as the AWS SDK and aws4fetch take them. */
export const S3RVER_KEYS = {
  accessKeyId: S3RVER_CREDENTIALS.R2_ACCESS_KEY_ID,
  secretAccessKey: S3RVER_CREDENTIALS.R2_SECRET_ACCESS_KEY,
} as const;
