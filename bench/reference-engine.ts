/**
 * A minimal audio-only pipeline with the engine CLI's interface (`process <ids...> --no-video`),
 * used to check the harness before the engine exists and, in the report, as a yardstick for what
 * a yt-dlp + ffmpeg pipeline can reach: one yt-dlp call that writes the smallest rendition to
 * stdout, ffmpeg decoding from the pipe to WAV on stdout, streamed to the bucket, then a manifest.
 * Not the engine: no chunking, no error mapping, no sha256/metadata of the contract.
 *
 *   BENCH_ENGINE_CLI=bench/reference-engine.ts npm run bench -- --plan quick
 */
import { spawn } from "node:child_process";
import { PutObjectCommand, S3Client } from "@aws-sdk/client-s3";
import { Upload } from "@aws-sdk/lib-storage";
import { clipSourceUrl, parseEnv, s3Settings, sharedEnvSchema } from "../shared/config.ts";
import { CONTENT_TYPES, keys } from "../shared/keys.ts";

const env = parseEnv(sharedEnvSchema, process.env);
const settings = s3Settings(env);
if (!settings) throw new Error("reference engine: S3 settings required");
const s3 = settings;
const client = new S3Client({
  endpoint: s3.endpoint,
  region: s3.region,
  forcePathStyle: true,
  credentials: { accessKeyId: s3.accessKeyId, secretAccessKey: s3.secretAccessKey },
});

async function processClip(id: string): Promise<void> {
  const url = clipSourceUrl(env.CLIP_SOURCE_URL_TEMPLATE, id);
  const ytdlp = spawn("yt-dlp", ["-S", "+size,+br,+res", "-f", "b", "-o", "-", "--quiet", "--no-warnings", url], {
    stdio: ["ignore", "pipe", "inherit"],
  });
  const ffmpeg = spawn(
    "ffmpeg",
    [
      "-nostdin",
      "-v",
      "error",
      "-i",
      "pipe:0",
      "-vn",
      "-ac",
      String(env.AUDIO_CHANNELS),
      "-ar",
      String(env.AUDIO_SAMPLE_RATE),
      "-f",
      "wav",
      "pipe:1",
    ],
    // yt-dlp's stdout is handed to ffmpeg as its stdin: the video bytes never pass through Node.
    { stdio: [ytdlp.stdout, "pipe", "inherit"] },
  );
  ytdlp.stdout.destroy();
  const upload = new Upload({
    client,
    params: { Bucket: s3.bucket, Key: keys.wav(id), Body: ffmpeg.stdout, ContentType: CONTENT_TYPES.wav },
  }).done();
  const exited = (p: ReturnType<typeof spawn>) =>
    new Promise<number | null>((done) => p.on("exit", (code) => done(code)));
  const [a, b] = await Promise.all([exited(ytdlp), exited(ffmpeg), upload]);
  if (a !== 0 || b !== 0) throw new Error(`yt-dlp ${a}, ffmpeg ${b}`);
  await client.send(
    new PutObjectCommand({
      Bucket: s3.bucket,
      Key: keys.manifest(id),
      Body: JSON.stringify({ clip_id: id }),
      ContentType: CONTENT_TYPES.json,
    }),
  );
}

const ids = process.argv.slice(3).filter((a) => !a.startsWith("--"));
let failed = 0;
for (const id of ids) {
  try {
    await processClip(id);
  } catch (error) {
    failed++;
    console.error(String(error));
  }
}
client.destroy();
process.exitCode = failed ? 1 : 0;
