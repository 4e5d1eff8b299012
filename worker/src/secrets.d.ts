// Secrets and local-only variables: set with `wrangler secret put` in production, or by
// `.dev.vars` / the env file `npm start` writes. `wrangler types` cannot see them.
interface Env {
  HMAC_SHARED_SECRET?: string;
  DISABLE_AUTH?: string;
  R2_ACCESS_KEY_ID?: string;
  R2_SECRET_ACCESS_KEY?: string;
  CLOUDFLARE_ACCOUNT_ID?: string;
  S3_ENDPOINT?: string;
  CONTAINER_URL?: string;
  CONSOLE_TOKEN?: string;
  CONSOLE_ACCESS_TEAM_DOMAIN?: string;
  CONSOLE_ACCESS_AUD?: string;
}
