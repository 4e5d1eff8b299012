/**
 * The baseline: the original Python service's pipeline (`AudioProcessor.process_clip` in
 * `src/download_extract.py`), reproduced step for step in Node so both sides upload with the same
 * S3 client to the same local S3 test double:
 *
 *   1. status check: HEAD clips/{id}.mp4 and audio/{id}.wav (`_check_processing_status`)
 *   2. yt-dlp, format `mp4/best` (the best MP4 rendition), to a file in a temp dir
 *   3. ffprobe for the duration (`get_audio_duration`)
 *   4. ffmpeg MP4 → WAV file, PCM s16le 16 kHz mono (`mp4_to_whisper_audio`)
 *   5. upload the MP4, then the WAV, with the original's object metadata (`r2.put_file`, a boto3
 *      managed transfer: multipart from 8 MiB in 8 MiB parts, 10 in flight — the same settings
 *      are given to @aws-sdk/lib-storage here)
 *   6. when longer than MAX_CLIP_DURATION: ffmpeg MP4 → WAV a second time (`mp4_to_wav16k`), cut
 *      into fixed 90 s chunks, upload each chunk
 *
 * Clips are processed one after the other, as `process_clips` did. There is no manifest: a clip
 * is done when its last object is uploaded.
 *
 *   node bench/baseline.ts <clip ids...>   one run, then exit
 *   node bench/baseline.ts --serve PORT    a long-lived service, like the original: POST / with
 *                                          {"clip_ids": [...]} processes them in order and answers
 *                                          with the results; yt_dlp is warm before the first request
 *   (env: CLIP_SOURCE_URL_TEMPLATE, S3_ENDPOINT, R2_ACCESS_KEY_ID, R2_SECRET_ACCESS_KEY, R2_BUCKET,
 *   MAX_CLIP_DURATION, AUDIO_SAMPLE_RATE, AUDIO_CHANNELS)
 */
import { spawn } from "node:child_process";
import { createReadStream, mkdirSync, mkdtempSync, readdirSync, rmSync, statSync } from "node:fs";
import { createServer } from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createInterface } from "node:readline";
import { HeadObjectCommand, S3Client } from "@aws-sdk/client-s3";
import { Upload } from "@aws-sdk/lib-storage";
import { execa } from "execa";
import { extractorCommand } from "../container/src/extractor-command.ts";
import { clipSourceUrl, parseEnv, s3Settings, sharedEnvSchema } from "../shared/config.ts";
import { CONTENT_TYPES, keys } from "../shared/keys.ts";

/** The original's subprocess timeout (subprocess.run(..., timeout=300)), generous for 30 min. */
const STEP_TIMEOUT_MS = 30 * 60_000;
/** The original's fixed chunk length. */
const CHUNK_SECONDS = 90;
/** boto3 TransferConfig defaults. */
const PART_BYTES = 8 * 1024 * 1024;
const PARTS_IN_FLIGHT = 10;

const env = parseEnv(sharedEnvSchema, process.env);
const settings = s3Settings(env);
if (!settings) throw new Error("baseline: S3_ENDPOINT, R2_ACCESS_KEY_ID and R2_SECRET_ACCESS_KEY are required");
const s3 = settings;
const client = new S3Client({
  endpoint: s3.endpoint,
  region: s3.region,
  forcePathStyle: true,
  credentials: { accessKeyId: s3.accessKeyId, secretAccessKey: s3.secretAccessKey },
});

async function exists(key: string): Promise<boolean> {
  try {
    await client.send(new HeadObjectCommand({ Bucket: s3.bucket, Key: key }));
    return true;
  } catch {
    return false;
  }
}

async function putFile(key: string, path: string, contentType: string, metadata: Record<string, string>) {
  await new Upload({
    client,
    params: { Bucket: s3.bucket, Key: key, Body: createReadStream(path), ContentType: contentType, Metadata: metadata },
    partSize: PART_BYTES,
    queueSize: PARTS_IN_FLIGHT,
  }).done();
}

async function toWav(input: string, output: string): Promise<void> {
  await execa(
    "ffmpeg",
    [
      "-nostdin",
      "-y",
      "-i",
      input,
      "-vn",
      "-acodec",
      "pcm_s16le",
      "-ar",
      String(env.AUDIO_SAMPLE_RATE),
      "-ac",
      String(env.AUDIO_CHANNELS),
      output,
    ],
    { timeout: STEP_TIMEOUT_MS },
  );
}

/** The warm yt_dlp: one Python process for the life of this one, one request at a time. */
function startDownloader() {
  const command = extractorCommand(process.env as Record<string, string>);
  const launcher = command.args.at(-1) ?? "";
  const child = spawn(command.file, [join(import.meta.dirname, "baseline_ytdlp.py"), launcher], {
    stdio: ["pipe", "pipe", "inherit"],
  });
  const lines = createInterface({ input: child.stdout });
  const replies: ((line: string) => void)[] = [];
  lines.on("line", (line) => replies.shift()?.(line));
  const next = () => new Promise<string>((resolve) => replies.push(resolve));
  const ready = next();
  return {
    ready,
    async download(url: string, outtmpl: string): Promise<void> {
      await ready;
      const reply = next();
      child.stdin.write(`${JSON.stringify({ url, outtmpl })}\n`);
      const parsed = JSON.parse(await reply) as { ok: boolean; error: string | null };
      if (!parsed.ok) throw new Error(`yt-dlp: ${parsed.error}`);
    },
    close: () => child.stdin.end(),
  };
}

const downloader = startDownloader();

async function processClip(clipId: string): Promise<string[]> {
  await exists(keys.video(clipId));
  await exists(keys.wav(clipId));
  const dir = mkdtempSync(join(tmpdir(), "baseline-"));
  try {
    await downloader.download(clipSourceUrl(env.CLIP_SOURCE_URL_TEMPLATE, clipId), join(dir, `${clipId}.%(ext)s`));
    const mp4 = join(dir, `${clipId}.mp4`);
    if (!statSync(mp4).size) throw new Error("empty download");
    const probe = await execa(
      "ffprobe",
      ["-v", "quiet", "-show_entries", "format=duration", "-of", "default=noprint_wrappers=1:nokey=1", mp4],
      { timeout: STEP_TIMEOUT_MS },
    );
    const duration = Number(probe.stdout.trim());
    const wav = join(dir, `${clipId}.wav`);
    await toWav(mp4, wav);

    const metadata = {
      status: "ready_for_asr",
      source: "twitch",
      created_at: new Date().toISOString().replace(/\.\d+Z$/, "Z"),
      clip_id: clipId,
      sample_rate: String(env.AUDIO_SAMPLE_RATE),
      channels: String(env.AUDIO_CHANNELS),
      duration: duration.toFixed(3),
    };
    const uploaded: string[] = [];
    await putFile(keys.video(clipId), mp4, CONTENT_TYPES.video, metadata);
    uploaded.push(keys.video(clipId));
    await putFile(keys.wav(clipId), wav, CONTENT_TYPES.wav, metadata);
    uploaded.push(keys.wav(clipId));

    if (duration > env.MAX_CLIP_DURATION) {
      const whole = join(dir, "chunking.wav");
      await toWav(mp4, whole);
      const chunks = join(dir, "chunks");
      mkdirSync(chunks);
      await execa(
        "ffmpeg",
        [
          "-nostdin",
          "-y",
          "-i",
          whole,
          "-f",
          "segment",
          "-segment_time",
          String(CHUNK_SECONDS),
          "-c",
          "copy",
          join(chunks, "chunk_%03d.wav"),
        ],
        { timeout: STEP_TIMEOUT_MS },
      );
      const files = readdirSync(chunks).sort();
      for (const [index, file] of files.entries()) {
        const key = keys.chunk(clipId, index);
        await putFile(key, join(chunks, file), CONTENT_TYPES.wav, {
          ...metadata,
          chunk_index: String(index),
          total_chunks: String(files.length),
          chunk_type: "audio_segment",
        });
        uploaded.push(key);
      }
    }
    return uploaded;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

async function processAll(ids: string[]): Promise<{ results: unknown[]; failed: number }> {
  const results: unknown[] = [];
  let failed = 0;
  for (const id of ids) {
    try {
      results.push({ clip_id: id, success: true, files_uploaded: await processClip(id) });
    } catch (error) {
      failed++;
      results.push({ clip_id: id, success: false, error: String(error).slice(0, 500) });
    }
  }
  return { results, failed };
}

const args = process.argv.slice(2);
if (args[0] === "--serve") {
  await downloader.ready;
  const server = createServer(async (req, res) => {
    if (req.method === "GET") return void res.end("ready\n");
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const { clip_ids: ids } = JSON.parse(Buffer.concat(chunks).toString() || "{}") as { clip_ids: string[] };
    const { results, failed } = await processAll(ids ?? []);
    res.writeHead(failed ? 500 : 200, { "content-type": "application/json" });
    res.end(JSON.stringify({ results }));
  });
  server.listen(Number(args[1] ?? 0), "127.0.0.1", () => console.log(JSON.stringify({ msg: "listening" })));
  process.on("SIGTERM", () => {
    server.close();
    downloader.close();
    client.destroy();
  });
} else {
  const { results, failed } = await processAll(args);
  for (const result of results) console.log(JSON.stringify(result));
  downloader.close();
  client.destroy();
  process.exitCode = failed ? 1 : 0;
}
