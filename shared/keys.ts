/**
 * The bucket layout of the contract, in one place. Nothing else builds a key by hand.
 *
 *   clips/{id}.mp4            original video (when video storage is on)
 *   clips/{id}.json           THE CALLER'S clip record: never written, changed or deleted here
 *   audio/{id}.wav            whole audio, PCM s16le
 *   audio/{id}/chunk_000.wav  chunks, only when duration > MAX_CLIP_DURATION
 *   audio/{id}.json           manifest (with the source metadata from yt-dlp), written last
 *   audio/{id}.peaks.json     waveform peaks for the console, written before the manifest
 *   transcripts/{id}.*        written by the transcription side, never by this service
 */

export const AUDIO_PREFIX = "audio/";
export const TRANSCRIPT_EXTENSIONS = ["json", "txt", "vtt", "ok"] as const;
export type TranscriptExtension = (typeof TRANSCRIPT_EXTENSIONS)[number];

export const CONTENT_TYPES = {
  video: "video/mp4",
  json: "application/json",
  wav: "audio/wav",
} as const;

export const keys = {
  video: (id: string) => `clips/${id}.mp4`,
  /**
   * The recap pipeline stores its Twitch clip record here before it calls us and reads it
   * later. Named so that tests can check it is left alone; no code of this service writes,
   * changes or deletes it.
   */
  callerRecord: (id: string) => `clips/${id}.json`,
  wav: (id: string) => `${AUDIO_PREFIX}${id}.wav`,
  manifest: (id: string) => `${AUDIO_PREFIX}${id}.json`,
  /** The waveform's peaks (min/max per bucket) for the console: small, so no browser downloads a WAV to draw it. */
  peaks: (id: string) => `${AUDIO_PREFIX}${id}.peaks.json`,
  chunkPrefix: (id: string) => `${AUDIO_PREFIX}${id}/`,
  chunk: (id: string, index: number) => `${AUDIO_PREFIX}${id}/chunk_${String(index).padStart(3, "0")}.wav`,
  transcript: (id: string, ext: TranscriptExtension) => `transcripts/${id}.${ext}`,
} as const;

/**
 * Every key of a clip that cleanup removes, except its chunks (found by listing
 * `keys.chunkPrefix(id)`). Never the caller's record `keys.callerRecord(id)`.
 */
export function fixedClipKeys(id: string): string[] {
  return [
    keys.video(id),
    keys.wav(id),
    keys.manifest(id),
    keys.peaks(id),
    ...TRANSCRIPT_EXTENSIONS.map((ext) => keys.transcript(id, ext)),
  ];
}

/** `audio/{id}.wav` → `id`; anything else (chunks, manifests, other prefixes) → null. */
export function clipIdFromWavKey(key: string): string | null {
  const match = /^audio\/([^/]+)\.wav$/.exec(key);
  return match ? (match[1] as string) : null;
}

/** What the original wrote as `source`: it only ever processed Twitch. */
const ORIGINAL_SOURCE = "twitch";
/** What the original wrote as `chunk_type` on chunk objects. */
const ORIGINAL_CHUNK_TYPE = "audio_segment";

/** The original's `created_at`: UTC, whole seconds (`time.strftime("%Y-%m-%dT%H:%M:%SZ")`). */
export function originalTimestamp(at: Date): string {
  return at.toISOString().replace(/\.\d{3}Z$/, "Z");
}

/**
 * Custom metadata on the video and whole-WAV objects, exactly as the original wrote it (its
 * `_create_validated_metadata`): every value a string, `source` always `twitch`, `created_at`
 * the processing time, `duration` the clip's length in seconds with three decimals. Keys of
 * our own go beside these (`source_kind`), never in their place.
 */
export function wavObjectMetadata(input: {
  clipId: string;
  sourceKind: string;
  processedAt: Date;
  sampleRate: number;
  channels: number;
  durationSeconds: number;
}): Record<string, string> {
  return {
    status: "ready_for_asr",
    source: ORIGINAL_SOURCE,
    created_at: originalTimestamp(input.processedAt),
    clip_id: input.clipId,
    sample_rate: String(input.sampleRate),
    channels: String(input.channels),
    duration: input.durationSeconds.toFixed(3),
    source_kind: input.sourceKind,
  };
}

/**
 * A chunk's custom metadata as the original wrote it (`_create_chunk_metadata`): the whole
 * WAV's metadata unchanged (so `duration` is the whole clip's), plus `chunk_index`,
 * `total_chunks` and `chunk_type=audio_segment`. The chunk's own place goes in new keys
 * beside them: `chunk_start` and `chunk_duration`, seconds with three decimals.
 */
export function chunkObjectMetadata(
  wavMetadata: Record<string, string>,
  chunk: { index: number; total: number; startSeconds: number; durationSeconds: number },
): Record<string, string> {
  return {
    ...wavMetadata,
    chunk_index: String(chunk.index),
    total_chunks: String(chunk.total),
    chunk_type: ORIGINAL_CHUNK_TYPE,
    chunk_start: chunk.startSeconds.toFixed(3),
    chunk_duration: chunk.durationSeconds.toFixed(3),
  };
}
