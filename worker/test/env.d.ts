// Test-only bindings (set in worker/vitest.config.ts).
declare namespace Cloudflare {
  interface Env {
    FIXTURE_URL: string;
    FUZZ_REQUESTS: string;
    S3_ENDPOINT: string;
  }
}
