/**
 * The console's only stylesheet and script, served by the Worker itself (no asset pipeline):
 * small enough to read here. Colours meet WCAG AA (4.5:1 for text, 3:1 for focus rings and
 * the waveform); everything a mouse does, a key does too.
 */
import { RESTING_STATES } from "../../../shared/job-state.ts";

export const CONSOLE_CSS = `
:root { color-scheme: light; --ink: #16181d; --muted: #4a5160; --line: #c9ced8; --bg: #ffffff; --panel: #f3f5f8;
  --accent: #1849a9; --accent-ink: #ffffff; --ok: #0b6b3a; --bad: #a3111f; --bad-bg: #fdecee; --warn: #7a4a00; --warn-bg: #fff4dc; }
* { box-sizing: border-box; }
body { margin: 0; font: 16px/1.5 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; color: var(--ink); background: var(--bg); }
header.top { display: flex; gap: 1.5rem; align-items: center; padding: .75rem 1.5rem; background: #101828; color: #fff; }
header.top a { color: #fff; }
header.top .brand { font-weight: 700; text-decoration: none; }
header.top nav { display: flex; gap: 1rem; flex: 1; }
header.top form { margin: 0; }
main { max-width: 72rem; margin: 0 auto; padding: 1.25rem 1.5rem 3rem; }
h1 { font-size: 1.6rem; margin: .5rem 0 1rem; } h2 { font-size: 1.2rem; margin: 1.75rem 0 .5rem; }
a { color: var(--accent); }
a:focus-visible, button:focus-visible, input:focus-visible, textarea:focus-visible, summary:focus-visible, [tabindex]:focus-visible, audio:focus-visible {
  outline: 3px solid var(--accent); outline-offset: 2px; }
header.top a:focus-visible, header.top button:focus-visible { outline-color: #fff; }
.skip { position: absolute; left: -999px; } .skip:focus { left: .5rem; top: .5rem; background: #fff; color: var(--accent); padding: .25rem .5rem; z-index: 10; }
table { border-collapse: collapse; width: 100%; } th, td { text-align: left; padding: .4rem .6rem; border-bottom: 1px solid var(--line); vertical-align: top; }
th { font-weight: 600; color: var(--muted); font-size: .9rem; }
.grid { display: grid; grid-template-columns: repeat(auto-fit, minmax(20rem, 1fr)); gap: 1rem; }
.panel { background: var(--panel); border: 1px solid var(--line); border-radius: 6px; padding: 1rem; }
.panel h2:first-of-type { margin-top: 0; }
dl.facts { display: grid; grid-template-columns: max-content 1fr; gap: .25rem 1rem; margin: 0; } dl.facts dt { color: var(--muted); } dl.facts dd { margin: 0; overflow-wrap: anywhere; }
.badge { display: inline-block; padding: 0 .5rem; border-radius: 999px; font-size: .85rem; font-weight: 600; border: 1px solid currentColor; }
.state-completed, .state-healthy, .state-ok { color: var(--ok); }
.state-failed, .state-unhealthy, .state-outdated, .state-unreachable { color: var(--bad); }
.state-queued, .state-running, .state-downloading, .state-extracting, .state-uploading, .state-unknown, .state-degraded { color: var(--warn); }
.error { background: var(--bad-bg); border: 1px solid var(--bad); color: var(--bad); border-radius: 6px; padding: .75rem 1rem; margin: 1rem 0; }
.error p { margin: .25rem 0; color: var(--ink); } .error strong { color: var(--bad); }
.notice { background: var(--warn-bg); border: 1px solid var(--warn); border-radius: 6px; padding: .75rem 1rem; margin: 1rem 0; }
button, .button { font: inherit; background: var(--accent); color: var(--accent-ink); border: 0; border-radius: 4px; padding: .45rem 1rem; cursor: pointer; text-decoration: none; display: inline-block; }
button.secondary { background: #fff; color: var(--accent); border: 1px solid var(--accent); }
button.danger { background: var(--bad); }
header.top button { background: transparent; border: 1px solid #fff; color: #fff; padding: .2rem .7rem; }
label { font-weight: 600; } textarea, input[type=password], input[type=text] { font: inherit; width: 100%; padding: .4rem; border: 1px solid #6b7280; border-radius: 4px; }
.field { margin: .75rem 0; } .hint { color: var(--muted); font-size: .9rem; margin: .2rem 0; }
progress { width: 8rem; height: .9rem; accent-color: var(--accent); vertical-align: middle; }
pre { background: var(--panel); border: 1px solid var(--line); padding: .75rem; overflow: auto; max-height: 24rem; font-size: .85rem; }
audio { width: 100%; margin: .5rem 0; }
.waveform { position: relative; height: 128px; background: #eef1f6; border: 1px solid var(--line); border-radius: 4px; cursor: pointer; }
.waveform .track { position: absolute; inset: 0; }
.waveform canvas { position: absolute; inset: 0; width: 100%; height: 100%; }
.panel.narrow { max-width: 28rem; }
.waveform .cursor { position: absolute; top: 0; bottom: 0; width: 2px; background: var(--bad); pointer-events: none; }
.waveform .region { position: absolute; z-index: 1; top: 0; height: 22px; border: 0; border-left: 2px solid #7a3e00; border-radius: 0;
  background: rgba(255, 196, 87, .55); color: #16181d; font-size: .75rem; padding: 0 .3rem; text-align: left; overflow: hidden; white-space: nowrap; }
.waveform .region:nth-of-type(even) { background: rgba(124, 182, 255, .55); border-left-color: #0b3a80; }
.waveform .boundary { position: absolute; top: 0; bottom: 0; width: 0; border-left: 2px dashed #7a3e00; pointer-events: none; }
.chunks audio { margin: 0; }
.visually-hidden { position: absolute; width: 1px; height: 1px; overflow: hidden; clip: rect(0 0 0 0); white-space: nowrap; }
`;

/** Live progress and the waveform; nothing else on the pages needs a script. */
export const CONSOLE_JS = `
"use strict";
const TERMINAL = new Set(${JSON.stringify(RESTING_STATES)});

function setText(root, field, value) {
  for (const el of root.querySelectorAll('[data-field="' + field + '"]')) el.textContent = value;
}

function showClip(row, clip) {
  setText(row, "state", clip.state);
  const badge = row.querySelector('[data-field="state"]');
  if (badge) badge.className = "badge state-" + clip.state;
  const bar = row.querySelector("progress");
  if (bar) { if (clip.progress == null) bar.removeAttribute("value"); else bar.value = clip.progress; bar.hidden = TERMINAL.has(clip.state); }
  setText(row, "error", clip.error ? clip.error_code + ": " + clip.error : "");
  setText(row, "advice", clip.advice || "");
}

/** Polls a JSON view of the page every second until nothing on it moves any more. */
function live(root) {
  const url = root.dataset.live;
  const tick = async () => {
    let view;
    try {
      const response = await fetch(url, { headers: { accept: "application/json" }, credentials: "same-origin" });
      if (!response.ok) throw new Error("HTTP " + response.status);
      view = await response.json();
    } catch (error) {
      setText(root, "live-status", "Live updates paused (" + error.message + "); retrying.");
      setTimeout(tick, 3000);
      return;
    }
    setText(root, "live-status", "");
    if (view.task) { setText(root, "task-started", view.task.started_at || "not yet"); setText(root, "task-ended", view.task.completed_at || "not yet"); }
    if (view.task) { setText(root, "task-status", view.task.status); const b = root.querySelector('[data-field="task-status"]'); if (b) b.className = "badge state-" + view.task.status; }
    for (const clip of view.clips) {
      const row = root.querySelector('[data-clip="' + CSS.escape(clip.clip_id) + '"]');
      if (row) showClip(row, clip);
    }
    const done = view.clips.every((c) => TERMINAL.has(c.state)) && (!view.task || view.task.status === "completed" || view.task.status === "failed");
    if (!done) setTimeout(tick, 1000);
    else if (root.dataset.reloadWhenDone === "true") location.reload();
  };
  tick();
}

function formatTime(s) {
  const m = Math.floor(s / 60);
  return m + ":" + String(Math.floor(s % 60)).padStart(2, "0");
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
    else note.textContent = response.status === 404
      ? "No waveform for this clip: it was processed before the engine wrote peaks. Re-run it with force to get one."
      : "The waveform could not be loaded (HTTP " + response.status + ").";
  } catch (error) { note.textContent = "The waveform could not be loaded: " + error.message; }

  const draw = () => {
    const ratio = window.devicePixelRatio || 1;
    const width = Math.max(1, Math.round(box.clientWidth * ratio));
    const height = Math.max(1, Math.round(box.clientHeight * ratio));
    canvas.width = width; canvas.height = height;
    const g = canvas.getContext("2d");
    g.clearRect(0, 0, width, height);
    if (!peaks || peaks.length === 0) return;
    const played = duration > 0 ? (audio.currentTime / duration) * width : 0;
    const mid = height / 2 + 10 * ratio;
    const scale = (height / 2 - 12 * ratio) / 128;
    for (let x = 0; x < width; x++) {
      const from = Math.floor((x / width) * peaks.length);
      const to = Math.max(from + 1, Math.floor(((x + 1) / width) * peaks.length));
      let lo = 0, hi = 0;
      for (let i = from; i < to && i < peaks.length; i++) { lo = Math.min(lo, peaks.data[2 * i]); hi = Math.max(hi, peaks.data[2 * i + 1]); }
      g.fillStyle = x < played ? "#1849a9" : "#4a5160";
      g.fillRect(x, mid - hi * scale, 1, Math.max(1, (hi - lo) * scale));
    }
  };

  chunks.forEach((chunk, i) => {
    const region = document.createElement("button");
    region.type = "button";
    region.className = "region";
    region.style.left = (100 * chunk.start_s) / duration + "%";
    region.style.width = (100 * chunk.duration_s) / duration + "%";
    region.textContent = "Chunk " + chunk.index;
    region.setAttribute("aria-label", "Play chunk " + chunk.index + " from " + formatTime(chunk.start_s) + " (" + Math.round(chunk.duration_s) + " s)");
    region.dataset.start = chunk.start_s;
    region.addEventListener("click", (event) => { event.stopPropagation(); audio.currentTime = chunk.start_s; audio.play(); });
    box.appendChild(region);
    if (i > 0) { const line = document.createElement("div"); line.className = "boundary"; line.style.left = region.style.left; box.appendChild(line); }
  });

  const seek = (seconds) => { audio.currentTime = Math.min(Math.max(0, seconds), duration); };
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
    else if (event.key === " " || event.key === "Enter") { if (audio.paused) audio.play(); else audio.pause(); }
    else return;
    event.preventDefault();
  });
  const follow = () => {
    cursor.style.left = (duration > 0 ? (100 * audio.currentTime) / duration : 0) + "%";
    track.setAttribute("aria-valuenow", String(Math.round(audio.currentTime)));
    track.setAttribute("aria-valuetext", formatTime(audio.currentTime) + " of " + formatTime(duration));
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
`;
