/**
 * The API contract as zod schemas: every request, response and error body of the public
 * routes, the manifest and metadata objects of the bucket. Types are inferred, never
 * written twice. One module per concern in `schemas/`; this index is what importers (and
 * package.json's "./schemas" export) use.
 */
export * from "./schemas/bucket-objects.ts";
export * from "./schemas/clips.ts";
export * from "./schemas/health.ts";
export * from "./schemas/tasks.ts";
