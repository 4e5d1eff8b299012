/**
 * How soon V8 gives back the memory of dead Buffers. Media bytes pass through Node as a new
 * Buffer per read (the download on its way to ffmpeg and the disk, files on their way to the
 * bucket), and a Buffer's memory is freed only at the next young-generation collection. Buffers
 * alone start one once twice the scavenger's largest new space of them has been allocated since
 * the last: about 32 MB by default, whatever --max-semi-space-size says. Measured on the bench (30-min
 * source, 200 Mbit/s): up to 30 MB of dead Buffers, the engine's peak RSS 146-148 MB; with 1 MB
 * here they stay under 6 MB and the peak at 128-129 MB. CPU is unchanged (135 MB read through a
 * stream: 0.36-0.41 s either way): collecting a young generation of dead Buffers is cheap.
 *
 * Node refuses this flag in NODE_OPTIONS, so the entry points (server.ts, cli.ts) import this
 * module first: the same setting in the image, under `npm start`, in the tests and the bench.
 * V8 reads it whenever it allocates a Buffer's memory, so setting it now takes effect (heap.test.ts).
 * `--max-semi-space-size=1` (NODE_OPTIONS) is the other half: it sizes the heap when the process
 * starts, so it cannot be set from here.
 */
import { setFlagsFromString } from "node:v8";

export const SCAVENGER_NEW_SPACE_MB = 1;

setFlagsFromString(`--scavenger-max-new-space-capacity-mb=${SCAVENGER_NEW_SPACE_MB}`);
