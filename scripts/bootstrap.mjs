#!/usr/bin/env node
// Gets a fresh machine (Node 20 and npm only) ready for `npm start` and `npm test`:
// npm packages (which bring Node 22), the pinned yt-dlp release (container/yt-dlp.release,
// into .tools/bin, sha256 verified) where the network allows, then ffmpeg/ffprobe, espeak-ng
// (it speaks the demo clips) and, without the pinned release, the distribution's yt-dlp,
// loudly flagged as too old for Twitch. Installs
// what it can, and otherwise names exactly what is missing. Plain JavaScript that runs on
// Node 20, because it runs before Node 22 is installed.
//
// YT_DLP_DOWNLOAD=0 skips the download (`npm test` sets it: tests read local fixtures only);
// YT_DLP_RELEASE_BASE_URL names a mirror of https://github.com/yt-dlp/yt-dlp/releases/download.
import { spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { fallbackWarning, installPinnedYtDlp } from "./yt-dlp-release.mjs";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
// undici 8 (the engine's media transfer, container/src/transfer.ts) needs 22.19.
const REQUIRED_NODE = [22, 19];
const SYSTEM_TOOLS = [
  { command: "ffmpeg", args: ["-version"], apt: "ffmpeg" },
  { command: "ffprobe", args: ["-version"], apt: "ffmpeg" },
  { command: "yt-dlp", args: ["--version"], apt: "yt-dlp" },
  // Speaks the demo clips `npm start` serves (scripts/demo.ts) and the tests process.
  { command: "espeak-ng", args: ["--version"], apt: "espeak-ng" },
  // The browser the console's end-to-end test drives through playwright-core (test/e2e/console.test.ts):
  // only `npm test` (--test) needs it, so `npm start` does not download a browser.
  { command: "chromium", args: ["--version"], apt: "chromium", testOnly: true },
];
const FOR_TESTS = process.argv.includes("--test");

function fail(message) {
  console.error(`\n[bootstrap] ${message}\n`);
  process.exit(1);
}

function run(command, args) {
  console.error(`[bootstrap] $ ${command} ${args.join(" ")}`);
  const result = spawnSync(command, args, { cwd: root, stdio: "inherit" });
  return result.status === 0;
}

function works(command, args) {
  return spawnSync(command, args, { stdio: "ignore" }).status === 0;
}

function ensurePackages() {
  const local = join(root, "node_modules", ".bin", "node");
  if (existsSync(local) && existsSync(join(root, "node_modules", "vitest"))) return;
  if (!run("npm", ["ci", "--no-audit", "--no-fund"])) fail("`npm ci` failed; see the output above.");
}

function ensureNode22() {
  const local = join(root, "node_modules", ".bin", "node");
  const probe = spawnSync(local, ["-p", "process.versions.node"], { encoding: "utf8" });
  const [major, minor] = (probe.stdout ?? "").trim().split(".").map(Number);
  if (!(major > REQUIRED_NODE[0] || (major === REQUIRED_NODE[0] && minor >= REQUIRED_NODE[1]))) {
    fail(
      `Node >= ${REQUIRED_NODE.join(".")} is required; the pinned "node" dev dependency did not install it (got "${probe.stdout?.trim() || probe.error?.message}"). Run \`npm ci\` again.`,
    );
  }
}

function ensureSystemTools(tools) {
  let missing = tools.filter((tool) => !works(tool.command, tool.args));
  if (missing.length === 0) return;
  const packages = [...new Set(missing.map((tool) => tool.apt))];
  const isRoot = process.getuid?.() === 0;
  if (isRoot && works("apt-get", ["--version"])) {
    console.error(
      `[bootstrap] missing ${missing.map((t) => t.command).join(", ")}: installing ${packages.join(" ")} with apt-get`,
    );
    run("apt-get", ["update", "-qq"]);
    run("apt-get", ["install", "-y", "-qq", ...packages]);
    missing = tools.filter((tool) => !works(tool.command, tool.args));
  }
  if (missing.length > 0) {
    fail(
      `Missing on PATH: ${missing.map((t) => t.command).join(", ")}. Install with:\n  sudo apt-get update && sudo apt-get install -y ${packages.join(" ")}\n(or put ${missing.map((t) => t.command).join(", ")} on PATH some other way).`,
    );
  }
}

ensurePackages();
ensureNode22();
const download = process.env.YT_DLP_DOWNLOAD !== "0";
const pinned = await installPinnedYtDlp({ root, download, baseUrl: process.env.YT_DLP_RELEASE_BASE_URL });
ensureSystemTools(
  SYSTEM_TOOLS.filter((tool) => (FOR_TESTS || !tool.testOnly) && !(pinned && tool.command === "yt-dlp")),
);
if (!pinned && download) for (const line of fallbackWarning({ root })) console.error(`[bootstrap] ${line}`);
