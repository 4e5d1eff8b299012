/**
 * The decode finds the silences itself (silencedetect inside the decoding ffmpeg): the same ones
 * a separate pass over the WAV finds, on a WAV bit for bit the same as a decode without filters.
 */
import { createReadStream } from "node:fs";
import { mkdir, mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pipeline } from "node:stream/promises";
import { execa } from "execa";
import { afterAll, describe, expect, it } from "vitest";
import { RENDITIONS, rendition, tonesWithSilences } from "../../test/support/media.ts";
import { type AudioFormat, parseSilences, readSilences, SILENCE_FILTER, startExtract } from "../src/ffmpeg.ts";

const root = await mkdtemp(join(tmpdir(), "extract-"));
afterAll(() => rm(root, { recursive: true, force: true }));
// FFREPORT's file name is escaped: `:` splits its options, `%` starts an expansion.
const dir = join(root, "job:1 100%'s");
await mkdir(dir);
const limits = { timeoutMs: 60_000 };
const SPEECH: AudioFormat = { sampleRate: 16_000, channels: 1 };

/** silencedetect run on its own over a WAV, as the engine did after the decode before. */
async function separatePass(wavPath: string) {
  const { stderr } = await execa("ffmpeg", [
    "-hide_banner",
    "-nostats",
    "-i",
    wavPath,
    "-af",
    SILENCE_FILTER,
    "-f",
    "null",
    "-",
  ]);
  return parseSilences(stderr);
}

/** The decode the engine made before the filters: -ac, -ar and pcm_s16le alone. */
async function plainDecode(source: string, wavPath: string, format: AudioFormat) {
  await execa("ffmpeg", [
    ...["-hide_banner", "-v", "error", "-i", source, "-map", "0:a:0", "-vn"],
    ...["-ac", String(format.channels), "-ar", String(format.sampleRate), "-c:a", "pcm_s16le"],
    ...["-map_metadata", "-1", "-fflags", "+bitexact", "-flags:a", "+bitexact", "-y", "-f", "wav", wavPath],
  ]);
}

describe("silences found while decoding", () => {
  it("equal a separate pass over the WAV, from a file and from a pipe", async () => {
    // 12 bursts of tone, 1.5 s apart: 11 silences between them and one at the end.
    const source = await tonesWithSilences(12, 3, 1.5);
    const wav = join(dir, "file.wav");
    const log = join(dir, "file.log");
    await startExtract(source, wav, log, SPEECH, limits);
    const found = await readSilences(log);
    expect(found.length).toBeGreaterThanOrEqual(11);
    expect(found).toEqual(await separatePass(wav));

    const piped = join(dir, "pipe.wav");
    const pipeLog = join(dir, "pipe.log");
    const ffmpeg = startExtract("pipe:0", piped, pipeLog, SPEECH, limits);
    await Promise.all([pipeline(createReadStream(source), ffmpeg.stdin as NodeJS.WritableStream), ffmpeg]);
    expect(await readSilences(pipeLog)).toEqual(found);
    expect((await readFile(piped)).equals(await readFile(wav))).toBe(true);
  });

  it("leave the WAV as a decode without them writes it, mono and stereo", async () => {
    const source = await tonesWithSilences(12, 3, 1.5);
    // 44.1 kHz stereo AAC: a resampling and a channel layout to convert.
    const stereo = await rendition(RENDITIONS[1]);
    for (const [input, format] of [
      [source, SPEECH],
      [stereo, { sampleRate: 16_000, channels: 2 }],
    ] as const) {
      const wav = join(dir, "filtered.wav");
      const plain = join(dir, "plain.wav");
      await startExtract(input, wav, join(dir, "filtered.log"), format, limits);
      await plainDecode(input, plain, format);
      expect((await readFile(wav)).equals(await readFile(plain))).toBe(true);
    }
  });

  it("come from silencedetect's own lines, not from metadata quoted in the log", () => {
    const log = [
      "  Metadata:",
      "    title           : [silencedetect @ 0x1] silence_start: 3",
      "                    : [silencedetect @ 0x1] silence_end: 4 | silence_duration: 1",
      "[silencedetect @ 0x55d0c8a1c2c0] silence_start: 7.5",
      "[silencedetect @ 0x55d0c8a1c2c0] silence_end: 9 | silence_duration: 1.5",
    ].join("\n");
    expect(parseSilences(log)).toEqual([{ start: 7.5, end: 9 }]);
  });
});
