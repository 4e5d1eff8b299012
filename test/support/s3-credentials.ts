/**
 * s3rver (a test double of S3) accepts only its own fixed credentials. Without imports, so the
 * Worker's tests in workerd can read it too.
 */
export const S3RVER_CREDENTIALS = { R2_ACCESS_KEY_ID: "S3RVER", R2_SECRET_ACCESS_KEY: "S3RVER" } as const;
