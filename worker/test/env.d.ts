// Test-only bindings (set in worker/vitest.config.ts).
declare namespace Cloudflare {
  interface Env {
    FIXTURE_URL: string;
    S3_ENDPOINT: string;
  }
}
