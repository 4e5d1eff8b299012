/**
 * A clip's objects to the sink: the video (when kept) and the chunks, each streamed from the
 * work directory, then the WAV beside the waveform peaks. The manifest is not among them: it goes
 * last, once these are all in place (manifest.ts).
 *
 * The WAV waits for the video and the chunks because callers take it as the sign that a clip is
 * ready: the recap pipeline HEADs `audio/{id}.wav` and then reads the chunks. Uploaded beside
 * them, a WAV could be there while chunks were still on their way (or never came, after a
 * failure). The peaks are the console's, which finds them through the manifest only: they need
 * not wait (one request less in a row on every clip's tail).
 */
import { createReadStream } from "node:fs";
import { stat } from "node:fs/promises";
import { Readable } from "node:stream";
import pMap from "p-map";
import { CONTENT_TYPES, chunkObjectMetadata, keys, wavObjectMetadata } from "../../shared/keys.ts";
import type { ChunkEntry } from "../../shared/schemas.ts";
import type { planChunks } from "./chunking.ts";
import { type Context, checkCancelled } from "./context.ts";
import type { Media } from "./download.ts";
import { computePeaks } from "./peaks.ts";
import type { Sink } from "./sinks/sink.ts";
import { type WavInfo, wavHeader } from "./wav.ts";

/** Uploads of one clip in flight at once (video, metadata, WAV, chunks). */
const UPLOADS_IN_FLIGHT = 4;

export interface Artifacts {
  media: Media;
  wav: WavInfo;
  duration: number;
  chunks: ReturnType<typeof planChunks>;
  storeVideo: boolean;
}

export interface Uploaded {
  keys: string[];
  chunks: ChunkEntry[];
}

interface Upload {
  key: string;
  put: (signal: AbortSignal) => Promise<void>;
}

export async function uploadArtifacts(context: Context, artifacts: Artifacts): Promise<Uploaded> {
  const { options } = context;
  const uploads = await plannedUploads(context, artifacts);
  const last = new Set([keys.wav(context.source.id), keys.peaks(context.source.id)]);
  const first = uploads.filter((upload) => !last.has(upload.key));
  const wav = uploads.filter((upload) => last.has(upload.key));
  // +1: the manifest is still to come when these are done.
  const progress = (done: number) => context.progress("uploading", (100 * done) / (uploads.length + 1));
  await allOrNone(first, options.signal, progress);
  await allOrNone(wav, options.signal, (done) => progress(first.length + done));
  return { keys: uploads.map((u) => u.key), chunks: chunkEntries(context, artifacts) };
}

/**
 * Runs the uploads, UPLOADS_IN_FLIGHT at once. The first failure, or the job's cancel, aborts
 * the uploads in flight and starts no more; this returns only once every upload it started has
 * ended, because the caller deletes the work directory they read from next.
 */
async function allOrNone(uploads: Upload[], jobSignal: AbortSignal | undefined, onDone: (done: number) => void) {
  const stop = new AbortController();
  const signal = jobSignal ? AbortSignal.any([jobSignal, stop.signal]) : stop.signal;
  const started: Promise<void>[] = [];
  let done = 0;
  try {
    await pMap(
      uploads,
      async (upload) => {
        const put = upload.put(signal);
        started.push(put.catch(() => undefined));
        await put;
        onDone(++done);
      },
      { concurrency: UPLOADS_IN_FLIGHT, stopOnError: true, signal },
    );
  } catch (error) {
    stop.abort(error);
    await Promise.all(started);
    // A cancelled job's uploads fail as aborted writes: report the cancel, not a storage error.
    checkCancelled(jobSignal);
    throw error;
  }
}

function chunkEntries(context: Context, artifacts: Artifacts): ChunkEntry[] {
  const { sampleRate } = artifacts.wav;
  return artifacts.chunks.map((chunk) => ({
    key: keys.chunk(context.source.id, chunk.index),
    index: chunk.index,
    start_s: chunk.startSample / sampleRate,
    duration_s: (chunk.endSample - chunk.startSample) / sampleRate,
  }));
}

async function plannedUploads(context: Context, artifacts: Artifacts): Promise<Upload[]> {
  const { source, options } = context;
  const { sink } = options;
  const { media, wav, duration } = artifacts;
  // The original's WAV metadata, also on the video as it did.
  const metadata = wavObjectMetadata({
    clipId: source.id,
    sourceKind: source.kind,
    processedAt: new Date(),
    sampleRate: wav.sampleRate,
    channels: wav.channels,
    durationSeconds: duration,
  });
  const uploads: Upload[] = [];
  if (artifacts.storeVideo) {
    uploads.push(await fileUpload(sink, keys.video(source.id), media.videoPath, CONTENT_TYPES.video, metadata));
  }
  uploads.push(await fileUpload(sink, keys.wav(source.id), media.wavPath, CONTENT_TYPES.wav, metadata));
  // The console's waveform; like every artifact it is uploaded before the manifest and listed in it.
  uploads.push({
    key: keys.peaks(source.id),
    put: async (signal) => {
      const peaks = await computePeaks(media.wavPath, wav);
      await sink.put(keys.peaks(source.id), JSON.stringify(peaks), { contentType: CONTENT_TYPES.json, signal });
    },
  });
  for (const chunk of artifacts.chunks) {
    const key = keys.chunk(source.id, chunk.index);
    uploads.push({
      key,
      put: (signal) => {
        const slice = wavSlice(media.wavPath, wav, chunk.startSample, chunk.endSample);
        const chunkMetadata = chunkObjectMetadata(metadata, {
          index: chunk.index,
          total: artifacts.chunks.length,
          startSeconds: chunk.startSample / wav.sampleRate,
          durationSeconds: (chunk.endSample - chunk.startSample) / wav.sampleRate,
        });
        return sink.put(key, slice.body, {
          contentType: CONTENT_TYPES.wav,
          metadata: chunkMetadata,
          contentLength: slice.bytes,
          signal,
        });
      },
    });
  }
  return uploads;
}

/** A whole file from the work directory, streamed, with its length (one PUT up to 4 GiB). */
async function fileUpload(
  sink: Sink,
  key: string,
  path: string,
  contentType: string,
  metadata: Record<string, string>,
): Promise<Upload> {
  const contentLength = (await stat(path)).size;
  return {
    key,
    put: (signal) => sink.put(key, createReadStream(path), { contentType, metadata, contentLength, signal }),
  };
}

/** A WAV file of samples [startSample, endSample) of `path`, streamed from disk. */
function wavSlice(
  path: string,
  wav: WavInfo,
  startSample: number,
  endSample: number,
): { body: Readable; bytes: number } {
  const dataBytes = (endSample - startSample) * wav.blockAlign;
  const header = wavHeader(dataBytes, wav.sampleRate, wav.channels, wav.bitsPerSample);
  const start = wav.dataOffset + startSample * wav.blockAlign;
  async function* bytes() {
    yield header;
    if (dataBytes === 0) return;
    for await (const chunk of createReadStream(path, { start, end: start + dataBytes - 1 })) yield chunk as Buffer;
  }
  return { body: Readable.from(bytes()), bytes: header.length + dataBytes };
}
