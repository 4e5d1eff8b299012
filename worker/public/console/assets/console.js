/*
 * Live progress and the waveform; nothing else on the console's pages needs a script. A static
 * asset served by the platform (a classic script, loaded with defer). Everything a mouse does, a
 * key does too.
 */

// The states where nothing more happens, as shared/job-state.ts defines them (the layout puts
// them on <body>): a static script cannot import the definition.
const TERMINAL = new Set((document.body.dataset.restingStates || "").split(" "));

function setText(root, field, value) {
  for (const el of root.querySelectorAll(`[data-field="${field}"]`)) el.textContent = value;
}

function showClip(row, clip) {
  setText(row, "state", clip.state);
  const badge = row.querySelector('[data-field="state"]');
  if (badge) badge.className = `badge state-${clip.state}`;
  const bar = row.querySelector("progress");
  if (bar) {
    if (clip.progress == null) bar.removeAttribute("value");
    else bar.value = clip.progress;
    bar.hidden = TERMINAL.has(clip.state);
  }
  setText(row, "error", clip.error ? `${clip.error_code}: ${clip.error}` : "");
  setText(row, "advice", clip.advice || "");
}

/** Polls a JSON view of the page every second until nothing on it moves any more. */
function live(root) {
  const url = root.dataset.live;
  const tick = async () => {
    let view;
    try {
      const response = await fetch(url, { headers: { accept: "application/json" }, credentials: "same-origin" });
      if (!response.ok) throw new Error(`HTTP ${response.status}`);
      view = await response.json();
    } catch (error) {
      setText(root, "live-status", `Live updates paused (${error.message}); retrying.`);
      setTimeout(tick, 3000);
      return;
    }
    setText(root, "live-status", "");
    if (view.task) {
      setText(root, "task-started", view.task.started_at || "not yet");
      setText(root, "task-ended", view.task.completed_at || "not yet");
    }
    if (view.task) {
      setText(root, "task-status", view.task.status);
      const b = root.querySelector('[data-field="task-status"]');
      if (b) b.className = `badge state-${view.task.status}`;
    }
    for (const clip of view.clips) {
      const row = root.querySelector(`[data-clip="${CSS.escape(clip.clip_id)}"]`);
      if (row) showClip(row, clip);
    }
    const done =
      view.clips.every((c) => TERMINAL.has(c.state)) &&
      (!view.task || view.task.status === "completed" || view.task.status === "failed");
    if (!done) setTimeout(tick, 1000);
    else if (root.dataset.reloadWhenDone === "true") location.reload();
  };
  tick();
}

function formatTime(s) {
  const m = Math.floor(s / 60);
  return `${m}:${String(Math.floor(s % 60)).padStart(2, "0")}`;
}

/** Draws the peaks (min/max pairs, -127..127) on a canvas and puts a button on each chunk. */
async function waveform(box) {
  const audio = document.getElementById(box.dataset.audio);
  const duration = Number(box.dataset.duration);
  const chunks = JSON.parse(box.dataset.chunks);
  const track = box.querySelector(".track");
  const canvas = box.querySelector("canvas");
  const cursor = box.querySelector(".cursor");
  const note = document.getElementById(box.dataset.note);
  let peaks = null;
  try {
    const response = await fetch(box.dataset.peaks, { credentials: "same-origin" });
    if (response.ok) peaks = await response.json();
    else
      note.textContent =
        response.status === 404
          ? "No waveform for this clip: it was processed before the engine wrote peaks. Re-run it with force to get one."
          : `The waveform could not be loaded (HTTP ${response.status}).`;
  } catch (error) {
    note.textContent = `The waveform could not be loaded: ${error.message}`;
  }

  const draw = () => {
    const ratio = window.devicePixelRatio || 1;
    const width = Math.max(1, Math.round(box.clientWidth * ratio));
    const height = Math.max(1, Math.round(box.clientHeight * ratio));
    canvas.width = width;
    canvas.height = height;
    const g = canvas.getContext("2d");
    g.clearRect(0, 0, width, height);
    if (!peaks || peaks.length === 0) return;
    const played = duration > 0 ? (audio.currentTime / duration) * width : 0;
    const mid = height / 2 + 10 * ratio;
    const scale = (height / 2 - 12 * ratio) / 128;
    for (let x = 0; x < width; x++) {
      const from = Math.floor((x / width) * peaks.length);
      const to = Math.max(from + 1, Math.floor(((x + 1) / width) * peaks.length));
      let lo = 0,
        hi = 0;
      for (let i = from; i < to && i < peaks.length; i++) {
        lo = Math.min(lo, peaks.data[2 * i]);
        hi = Math.max(hi, peaks.data[2 * i + 1]);
      }
      g.fillStyle = x < played ? "#1849a9" : "#4a5160";
      g.fillRect(x, mid - hi * scale, 1, Math.max(1, (hi - lo) * scale));
    }
  };

  chunks.forEach((chunk, i) => {
    const region = document.createElement("button");
    region.type = "button";
    region.className = "region";
    region.style.left = `${(100 * chunk.start_s) / duration}%`;
    region.style.width = `${(100 * chunk.duration_s) / duration}%`;
    region.textContent = `Chunk ${chunk.index}`;
    region.setAttribute(
      "aria-label",
      `Play chunk ${chunk.index} from ${formatTime(chunk.start_s)} (${Math.round(chunk.duration_s)} s)`,
    );
    region.dataset.start = chunk.start_s;
    region.addEventListener("click", (event) => {
      event.stopPropagation();
      audio.currentTime = chunk.start_s;
      audio.play();
    });
    box.appendChild(region);
    if (i > 0) {
      const line = document.createElement("div");
      line.className = "boundary";
      line.style.left = region.style.left;
      box.appendChild(line);
    }
  });

  const seek = (seconds) => {
    audio.currentTime = Math.min(Math.max(0, seconds), duration);
  };
  box.addEventListener("click", (event) => {
    const rect = box.getBoundingClientRect();
    seek(((event.clientX - rect.left) / rect.width) * duration);
  });
  track.addEventListener("keydown", (event) => {
    const step = event.shiftKey ? 30 : 5;
    const moves = { ArrowLeft: -step, ArrowRight: step, PageDown: -60, PageUp: 60 };
    if (event.key in moves) seek(audio.currentTime + moves[event.key]);
    else if (event.key === "Home") seek(0);
    else if (event.key === "End") seek(duration);
    else if (event.key === " " || event.key === "Enter") {
      if (audio.paused) audio.play();
      else audio.pause();
    } else return;
    event.preventDefault();
  });
  const follow = () => {
    cursor.style.left = `${duration > 0 ? (100 * audio.currentTime) / duration : 0}%`;
    track.setAttribute("aria-valuenow", String(Math.round(audio.currentTime)));
    track.setAttribute("aria-valuetext", `${formatTime(audio.currentTime)} of ${formatTime(duration)}`);
    draw();
  };
  audio.addEventListener("timeupdate", follow);
  audio.addEventListener("seeked", follow);
  window.addEventListener("resize", draw);
  follow();
  box.dataset.ready = "true";
}

for (const root of document.querySelectorAll("[data-live]")) live(root);
for (const box of document.querySelectorAll(".waveform")) waveform(box);
