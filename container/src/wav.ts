/**
 * Just enough of the WAV format to slice PCM sample-exactly: find the `data` chunk of a file
 * ffmpeg wrote, and build the 44-byte header of a slice.
 */
import { open } from "node:fs/promises";

export interface WavInfo {
  format: number;
  channels: number;
  sampleRate: number;
  bitsPerSample: number;
  blockAlign: number;
  dataOffset: number;
  dataBytes: number;
}

const HEADER_PROBE_BYTES = 4096;

/** Reads the chunk list of a RIFF/WAVE buffer up to the start of `data`. */
export function parseWavHeader(buffer: Buffer, fileBytes: number): WavInfo {
  if (buffer.toString("ascii", 0, 4) !== "RIFF" || buffer.toString("ascii", 8, 12) !== "WAVE") {
    throw new Error("not a RIFF/WAVE file");
  }
  let offset = 12;
  let fmt: Omit<WavInfo, "dataOffset" | "dataBytes"> | null = null;
  while (offset + 8 <= buffer.length) {
    const id = buffer.toString("ascii", offset, offset + 4);
    const size = buffer.readUInt32LE(offset + 4);
    const body = offset + 8;
    if (id === "fmt ") {
      fmt = {
        format: buffer.readUInt16LE(body),
        channels: buffer.readUInt16LE(body + 2),
        sampleRate: buffer.readUInt32LE(body + 4),
        blockAlign: buffer.readUInt16LE(body + 12),
        bitsPerSample: buffer.readUInt16LE(body + 14),
      };
    } else if (id === "data") {
      if (!fmt) throw new Error("WAV data chunk before fmt chunk");
      // A streamed WAV may carry a placeholder size: trust the file's length instead.
      const available = fileBytes - body;
      const dataBytes = size === 0xffffffff || size > available ? available : size;
      return { ...fmt, dataOffset: body, dataBytes: dataBytes - (dataBytes % fmt.blockAlign) };
    }
    offset = body + size + (size % 2);
  }
  throw new Error("WAV data chunk not found");
}

export async function readWavInfo(path: string): Promise<WavInfo> {
  const file = await open(path, "r");
  try {
    const { size } = await file.stat();
    const buffer = Buffer.alloc(Math.min(HEADER_PROBE_BYTES, size));
    await file.read(buffer, 0, buffer.length, 0);
    return parseWavHeader(buffer, size);
  } finally {
    await file.close();
  }
}

/** The canonical 44-byte PCM header for `dataBytes` of samples. */
export function wavHeader(dataBytes: number, sampleRate: number, channels: number, bitsPerSample = 16): Buffer {
  const blockAlign = (channels * bitsPerSample) / 8;
  const header = Buffer.alloc(44);
  header.write("RIFF", 0, "ascii");
  header.writeUInt32LE(36 + dataBytes, 4);
  header.write("WAVE", 8, "ascii");
  header.write("fmt ", 12, "ascii");
  header.writeUInt32LE(16, 16);
  header.writeUInt16LE(1, 20);
  header.writeUInt16LE(channels, 22);
  header.writeUInt32LE(sampleRate, 24);
  header.writeUInt32LE(sampleRate * blockAlign, 28);
  header.writeUInt16LE(blockAlign, 32);
  header.writeUInt16LE(bitsPerSample, 34);
  header.write("data", 36, "ascii");
  header.writeUInt32LE(dataBytes, 40);
  return header;
}

const ZEROS_BYTES = 1024 * 1024;

/**
 * Appends `seconds` of digital silence to a PCM WAV and rewrites its RIFF and data sizes: the
 * muted segments at the end of an HLS stream, which no timestamp after them makes the decoder fill.
 */
export async function appendSilence(path: string, seconds: number): Promise<void> {
  const info = await readWavInfo(path);
  const bytes = Math.round(seconds * info.sampleRate) * info.blockAlign;
  if (bytes <= 0) return;
  const file = await open(path, "r+");
  try {
    const end = info.dataOffset + info.dataBytes;
    const zeros = Buffer.alloc(Math.min(ZEROS_BYTES, bytes));
    for (let written = 0; written < bytes; written += zeros.length) {
      await file.write(zeros, 0, Math.min(zeros.length, bytes - written), end + written);
    }
    const size = Buffer.alloc(4);
    size.writeUInt32LE(info.dataBytes + bytes);
    await file.write(size, 0, 4, info.dataOffset - 4);
    size.writeUInt32LE(end + bytes - 8);
    await file.write(size, 0, 4, 4);
  } finally {
    await file.close();
  }
}
