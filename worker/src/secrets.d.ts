// Every setting the Worker reads (worker/src/config.ts), as the optional string it is in the
// environment: `wrangler types` sees only the [vars] wrangler.toml sets (the values that differ
// from the defaults), not the secrets (`wrangler secret put`) nor local variables (`.dev.vars`,
// the env file `npm start` writes).
interface Env extends Partial<Record<import("./config.ts").SettingName, string>> {}
