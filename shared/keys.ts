/**
 * The bucket layout of the contract, in one place. Nothing else builds a key by hand.
 *
 *   clips/{id}.mp4            original video (when video storage is on)
 *   clips/{id}.json           source metadata from yt-dlp
 *   audio/{id}.wav            whole audio, PCM s16le
 *   audio/{id}/chunk_000.wav  chunks, only when duration > MAX_CLIP_DURATION
 *   audio/{id}.json           manifest, written last
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
  videoMetadata: (id: string) => `clips/${id}.json`,
  wav: (id: string) => `${AUDIO_PREFIX}${id}.wav`,
  manifest: (id: string) => `${AUDIO_PREFIX}${id}.json`,
  chunkPrefix: (id: string) => `${AUDIO_PREFIX}${id}/`,
  chunk: (id: string, index: number) => `${AUDIO_PREFIX}${id}/chunk_${String(index).padStart(3, "0")}.wav`,
  transcript: (id: string, ext: TranscriptExtension) => `transcripts/${id}.${ext}`,
} as const;

/** Every key of a clip except its chunks, which are found by listing `keys.chunkPrefix(id)`. */
export function fixedClipKeys(id: string): string[] {
  return [
    keys.video(id),
    keys.videoMetadata(id),
    keys.wav(id),
    keys.manifest(id),
    ...TRANSCRIPT_EXTENSIONS.map((ext) => keys.transcript(id, ext)),
  ];
}

/** `audio/{id}.wav` → `id`; anything else (chunks, manifests, other prefixes) → null. */
export function clipIdFromWavKey(key: string): string | null {
  const match = /^audio\/([^/]+)\.wav$/.exec(key);
  return match ? (match[1] as string) : null;
}

/**
 * Custom metadata on the WAV object, as the original wrote it, so the transcription side
 * keeps working: every value a string.
 */
export function wavObjectMetadata(input: {
  clipId: string;
  source: string;
  createdAt: string;
  sampleRate: number;
  channels: number;
  durationSeconds: number;
}): Record<string, string> {
  return {
    status: "ready_for_asr",
    source: input.source,
    created_at: input.createdAt,
    clip_id: input.clipId,
    sample_rate: String(input.sampleRate),
    channels: String(input.channels),
    duration: input.durationSeconds.toFixed(3),
  };
}
