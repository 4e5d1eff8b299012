/**
 * What every operation needs, whichever door it came in by (an HTTP route or an RPC method of
 * the ClipAudioService entrypoint): the bindings, the parsed configuration and the bucket.
 */
import type { WorkerConfig } from "../config.ts";
import { loadConfig } from "../config.ts";
import { ApiError } from "../errors.ts";
import { log } from "../log.ts";
import { type BucketStorage, bucketStorage } from "../storage.ts";

export interface OperationContext {
  env: Env;
  config: WorkerConfig;
  storage: BucketStorage;
  /** Told the clip ids a call names once they are valid (the HTTP request log names them). */
  onClipIds?: (ids: string[]) => void;
}

/** The context for `env`, or the contract's 500 when the configuration is refused. */
export function operationContext(env: Env): OperationContext {
  const loaded = loadConfig(env);
  if (!loaded.ok) {
    log("error", { msg: "configuration error", problem: loaded.problem });
    throw new ApiError(500, `Server configuration error: ${loaded.problem}`);
  }
  return { env, config: loaded.config, storage: bucketStorage(env, loaded.config) };
}

/** The context of an HTTP request (its middleware has already loaded the configuration). */
export function requestContext(c: {
  env: Env;
  var: { config: WorkerConfig; storage: BucketStorage };
}): OperationContext {
  return { env: c.env, config: c.var.config, storage: c.var.storage };
}
