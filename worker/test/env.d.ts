// Test-only bindings (set in worker/vitest.config.ts).
declare namespace Cloudflare {
  interface Env {
    S3_ENDPOINT: string;
    /** The example caller Worker (examples/recap-caller), bound to ClipAudioService with these props. */
    RECAP_CALLER: Fetcher; // { caller: "recap" }
    DIGEST_CALLER: Fetcher; // { caller: "digest" }
    RETRY_CALLER: Fetcher; // { caller: "retry" }
    FLOOD_CALLER: Fetcher; // { caller: "flood" }
    ANONYMOUS_CALLER: Fetcher; // no props
  }
}
