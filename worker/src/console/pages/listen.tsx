/**
 * A processed clip's audio: the player, the waveform with a region per chunk (drawn by
 * console.js from the peaks), each chunk's own player, and the manifest.
 */
import type { Manifest } from "../../../../shared/schemas.ts";
import { BASE } from "./layout.tsx";

/** `m:ss`, as the waveform's script writes it too. */
export const seconds = (s: number) => `${Math.floor(s / 60)}:${String(Math.floor(s % 60)).padStart(2, "0")}`;

function Waveform(props: { id: string; manifest: Manifest }) {
  const { manifest } = props;
  return (
    <div
      class="waveform"
      id="waveform"
      data-audio="player"
      data-note="waveform-note"
      data-duration={String(manifest.duration_s)}
      data-peaks={`${BASE}/clips/${props.id}/peaks.json`}
      data-chunks={JSON.stringify(manifest.chunks)}
    >
      <div
        class="track"
        tabIndex={0}
        role="slider"
        aria-label="Position: arrow keys seek 5 s (with Shift 30 s), Space plays or pauses"
        aria-valuemin={0}
        aria-valuemax={Math.round(manifest.duration_s)}
        aria-valuenow={0}
      >
        <canvas></canvas>
        <div class="cursor"></div>
      </div>
    </div>
  );
}

function ChunkTable(props: { id: string; chunks: Manifest["chunks"] }) {
  if (!props.chunks.length) {
    return (
      <p>
        One piece: the clip is shorter than MAX_CLIP_DURATION, so it was not cut (the waveform has no chunk regions).
      </p>
    );
  }
  return (
    <table class="chunks">
      <thead>
        <tr>
          <th scope="col">Chunk</th>
          <th scope="col">Starts</th>
          <th scope="col">Length</th>
          <th scope="col">Play</th>
        </tr>
      </thead>
      <tbody>
        {props.chunks.map((chunk) => (
          <tr>
            <td>{chunk.index}</td>
            <td>{seconds(chunk.start_s)}</td>
            <td>{chunk.duration_s.toFixed(1)} s</td>
            <td>
              {/* biome-ignore lint/a11y/useMediaCaption: a chunk of the audio above, not yet transcribed */}
              <audio
                controls
                preload="none"
                aria-label={`Chunk ${chunk.index}`}
                src={`${BASE}/clips/${props.id}/chunks/${chunk.index}`}
              ></audio>
            </td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}

export function Listen(props: { clipId: string; manifest: Manifest }) {
  const { manifest } = props;
  const id = encodeURIComponent(props.clipId);
  return (
    <section aria-labelledby="listen-title">
      <h2 id="listen-title">Listen</h2>
      {/* biome-ignore lint/a11y/useMediaCaption: speech audio before its transcript exists; there is nothing to caption yet */}
      <audio id="player" controls preload="metadata" src={`${BASE}/clips/${id}/audio`}></audio>
      <Waveform id={id} manifest={manifest} />
      <p class="hint" id="waveform-note" aria-live="polite"></p>
      <h2>Chunks</h2>
      <ChunkTable id={id} chunks={manifest.chunks} />
      <details>
        <summary>Manifest (audio/{props.clipId}.json)</summary>
        <pre>{JSON.stringify(manifest, null, 2)}</pre>
      </details>
    </section>
  );
}
