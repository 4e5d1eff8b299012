import type { WorkerConfig } from "./config.ts";
import type { BucketStorage } from "./storage.ts";

/** What every handler sees: the bindings, the parsed configuration and the bucket. */
export interface AppEnv {
  Bindings: Env;
  Variables: { config: WorkerConfig; storage: BucketStorage; clipIds?: string[] };
}
