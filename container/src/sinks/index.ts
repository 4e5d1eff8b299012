/** Where the engine writes: the bucket when S3 settings are given, else the local folder. */
import { s3Settings } from "../../../shared/config.ts";
import type { EngineConfig } from "../config.ts";
import { LocalSink } from "./local.ts";
import { S3Sink } from "./s3.ts";
import type { Sink } from "./sink.ts";

export function createSink(config: EngineConfig): Sink {
  const settings = s3Settings(config);
  return settings ? new S3Sink(settings) : new LocalSink(config.OUTPUT_DIR);
}
