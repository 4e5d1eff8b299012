export * from "./clip-id.ts";
export * from "./config.ts";
export * from "./errors.ts";
export * from "./hmac.ts";
export * from "./job.ts";
export * from "./keys.ts";
export * from "./schemas.ts";
