/**
 * The container's configuration: the contract's shared variables plus the engine's own,
 * parsed once at start. A bad value stops the process with a message naming the variable.
 */
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import type { z } from "zod";
import { intVar, listVar, numberVar, parseEnv, type RawEnv, sharedEnvSchema, stringVar } from "../../shared/config.ts";

/**
 * Chunks default to 30 s because Whisper decodes fixed 30 s windows: a longer chunk is cut by
 * Whisper itself every 30 s wherever a word happens to fall, while a chunk of at most 30 s cut
 * at a silence fits one window whole. WhisperX's VAD chunks are at most 30 s for the same
 * reason. (The original cut fixed 90 s chunks.) At 16 kHz mono s16le a 30 s chunk is 960 KB,
 * 1.3 MB as base64: comfortably one Workers AI request.
 */
export const DEFAULT_CHUNK_SECONDS = 30;
/** Twitch VODs run for hours; longer sources are refused before anything is downloaded. */
export const DEFAULT_MAX_SOURCE_SECONDS = 4 * 3600;

export const containerEnvSchema = sharedEnvSchema.extend({
  PORT: intVar(8080, 0, 65_535),
  HOST: stringVar().transform((raw) => raw ?? "0.0.0.0"),
  JOB_CONCURRENCY: intVar(2, 1, 64),
  CHUNK_SECONDS: numberVar(DEFAULT_CHUNK_SECONDS, 5, 600),
  CHUNK_OVERLAP_SECONDS: numberVar(0, 0, 10),
  MAX_SOURCE_DURATION: numberVar(DEFAULT_MAX_SOURCE_SECONDS, 1, 48 * 3600),
  SOURCE_HOSTS: listVar(),
  WORK_DIR: stringVar().transform((raw) => resolve(raw ?? join(tmpdir(), "clip-audio"))),
  OUTPUT_DIR: stringVar().transform((raw) => resolve(raw ?? "output")),
  METADATA_TIMEOUT_SECONDS: intVar(60, 1, 3600),
  DOWNLOAD_TIMEOUT_SECONDS: intVar(1800, 1, 6 * 3600),
  EXTRACT_TIMEOUT_SECONDS: intVar(1800, 1, 6 * 3600),
  UPLOAD_TIMEOUT_SECONDS: intVar(900, 1, 6 * 3600),
});
export type ContainerConfig = z.infer<typeof containerEnvSchema>;

export function loadConfig(env: RawEnv = process.env): ContainerConfig {
  return parseEnv(containerEnvSchema, env);
}
