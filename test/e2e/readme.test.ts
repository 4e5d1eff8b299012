/**
 * The README as a new user meets it, on a fresh checkout (test/support/clean-copy.ts): its
 * Quick start's `npm start`, then every shell block marked to run (test/support/readme.ts)
 * pasted into one shell in README order, as printed except for the local ports (free ones, so
 * this runs beside anything else). Then `npm start` is stopped the way a process manager stops
 * it, by signalling only the npm process: every port it opened must close and every process it
 * started must be gone.
 *
 * Nothing here reaches the network: clip ids are the demo clips `npm start` serves, and the
 * bootstrap is told not to download yt-dlp (YT_DLP_DOWNLOAD=0).
 */
import { readFileSync } from "node:fs";
import { chmod, mkdir, rm, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { execa, type ResultPromise } from "execa";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { freePort } from "../../scripts/stack.ts";
import { keys } from "../../shared/keys.ts";
import { cleanCopy, REPO_ROOT } from "../support/clean-copy.ts";
import { commandOf, descendants, isListening, isRunning } from "../support/processes.ts";
import { type README_PORTS, shellBlocks, withPorts } from "../support/readme.ts";

const README = readFileSync(join(REPO_ROOT, "README.md"), "utf8");
const blocks = shellBlocks(README);
/** `npm start` prints this last, once everything answers. */
const READY_LINE = "Ctrl-C stops everything.";
/** First start: bootstrap, wrangler's bundle and the demo clips (made meanwhile). */
const START_TIMEOUT_MS = 120_000;
/** "Within a few seconds": dev.ts gives each process 5 s to finish its jobs before SIGKILL. */
const STOP_TIMEOUT_MS = 10_000;

type Ports = Record<keyof typeof README_PORTS, number>;

/**
 * A new user's shell: the system's PATH (without this test run's node_modules/.bin, so the
 * bootstrap meets the machine's own Node, as on a fresh machine), HOME and locale; nothing else
 * of the test's environment.
 */
const USER_ENV: Record<string, string> = {
  PATH: (process.env.PATH ?? "")
    .split(":")
    .filter((dir) => !dir.includes("node_modules"))
    .join(":"),
  HOME: process.env.HOME ?? "/root",
  LANG: process.env.LANG ?? "C.UTF-8",
};

let copy: string;

interface Started {
  npm: ResultPromise;
  output: () => string;
  ports: Ports;
}

async function freePorts(): Promise<Ports> {
  const [worker, container, bucket, inspector, demo] = await Promise.all(Array.from({ length: 5 }, freePort));
  return { worker, container, bucket, inspector, demo } as Ports;
}

/** The Quick start's start command, exactly as printed (its first line, comment dropped). */
function startCommand(): string[] {
  const marked = blocks.filter((b) => b.marker?.kind === "start");
  expect(marked).toHaveLength(1);
  const command = (marked[0]?.code.split("\n")[0] ?? "").replace(/#.*$/, "").trim();
  expect(command).toBe("npm start");
  return command.split(/\s+/);
}

/** Runs the start command in the copy, as a user would: a clean environment, ports aside. */
async function start(): Promise<Started> {
  const ports = await freePorts();
  const [command, ...args] = startCommand();
  const npm = execa(command as string, args, {
    cwd: copy,
    env: {
      ...USER_ENV,
      WORKER_PORT: String(ports.worker),
      CONTAINER_PORT: String(ports.container),
      BUCKET_PORT: String(ports.bucket),
      INSPECTOR_PORT: String(ports.inspector),
      DEMO_PORT: String(ports.demo),
      // Offline: no attempt to fetch the pinned yt-dlp from GitHub.
      YT_DLP_DOWNLOAD: "0",
      // The README's requests all come from one client within a minute: more than the
      // default 10 per minute a real client gets.
      RATE_LIMIT_REQUESTS: "1000",
      // The engine as a host process, whatever Docker this machine has: the container tier
      // (npm run test:container) runs the same stack with the engine in Docker.
      CLIP_AUDIO_ENGINE: "process",
    },
    extendEnv: false,
    stdin: "ignore",
    all: true,
    buffer: false,
    reject: false,
  });
  let output = "";
  npm.all?.on("data", (chunk: Buffer) => {
    output += chunk.toString("utf8");
  });
  // Up when it prints its ready line; not when it exits first or the time is out.
  const up = await new Promise<boolean>((resolve) => {
    const timer = setTimeout(() => resolve(false), START_TIMEOUT_MS);
    const settle = (ok: boolean) => {
      clearTimeout(timer);
      resolve(ok);
    };
    npm.all?.on("data", () => output.includes(READY_LINE) && settle(true));
    npm.once("exit", () => settle(output.includes(READY_LINE)));
  });
  if (!up) {
    npm.kill("SIGKILL");
    throw new Error(`npm start did not come up:\n${output.slice(-4000)}`);
  }
  return { npm, output: () => output, ports };
}

/** Signals only the npm process; resolves with what was left running and listening. */
async function stopBySignal(started: Started, signal: NodeJS.Signals) {
  const pid = started.npm.pid as number;
  const tree = descendants(pid);
  expect(tree.length).toBeGreaterThanOrEqual(3); // dev.ts, s3rver, engine, wrangler (and workerd)
  process.kill(pid, signal);
  const deadline = Date.now() + STOP_TIMEOUT_MS;
  let alive = tree;
  let listening: number[] = Object.values(started.ports);
  while (Date.now() < deadline) {
    alive = tree.filter(isRunning);
    const open = await Promise.all(Object.values(started.ports).map(async (p) => ((await isListening(p)) ? p : 0)));
    listening = open.filter(Boolean);
    if (alive.length === 0 && listening.length === 0) break;
    await new Promise((r) => setTimeout(r, 200));
  }
  const leftovers = alive.map((p) => `${p} ${commandOf(p)}`);
  for (const p of alive) process.kill(p, "SIGKILL");
  return { leftovers, listening, npmExit: await started.npm };
}

beforeAll(async () => {
  copy = await cleanCopy();
}, 60_000);

afterAll(async () => {
  if (copy) await rm(copy, { recursive: true, force: true });
});

describe("README.md", () => {
  it("marks every shell block: run, start, or skip with a reason", () => {
    const unmarked = blocks.filter((b) => b.marker === null).map((b) => `README.md:${b.line}`);
    expect(unmarked).toEqual([]);
    const unexplained = blocks.filter((b) => b.marker?.kind === "skip" && !b.marker.note).map((b) => b.line);
    expect(unexplained).toEqual([]);
    expect(blocks.filter((b) => b.marker?.kind === "run").length).toBeGreaterThanOrEqual(5);
  });

  it("works as printed on a fresh checkout: npm start, the banner's example, signing, the CLI, troubleshooting; SIGTERM to npm stops it all", async () => {
    const started = await start();
    const { ports } = started;
    try {
      // The banner prints the README's first request and how to listen, command for command.
      const printed = blocks.filter((b) => b.marker?.note.includes("the banner prints this block"));
      expect(printed.length).toBe(2);
      const banner = started.output();
      for (const line of printed.flatMap((b) => b.code.split("\n"))) {
        const command = line.replace(/\s+#.*$/, "").trim();
        if (command) expect(banner).toContain(withPorts(command, ports));
      }

      // A stand-in for ffplay: no audio device here, so it checks the file it was asked to play.
      const stubs = join(copy, ".test-bin");
      await mkdir(stubs, { recursive: true });
      await writeFile(
        join(stubs, "ffplay"),
        '#!/bin/sh\n# test stand-in for ffplay: probes the file instead of playing it\nfor last; do :; done\nexec ffprobe -v error -show_entries stream=sample_rate,channels -of default=nw=1 "$last"\n',
      );
      await chmod(join(stubs, "ffplay"), 0o755);

      const run = blocks.filter((b) => b.marker?.kind === "run");
      const script = [
        "set -euo pipefail",
        `export PATH="${stubs}:$PATH"`,
        ...run.map((b) => `echo "### README.md:${b.line}" >&2\n${withPorts(b.code, ports)}`),
      ].join("\n");
      const result = await execa("bash", ["-c", script], {
        cwd: copy,
        env: USER_ENV,
        extendEnv: false,
        all: true,
        reject: false,
        timeout: 90_000,
      });
      expect(result.exitCode, result.all).toBe(0);
      const out = result.all;
      expect(out).not.toContain('"success":false');
      expect(out).toContain('"status":"healthy"');
      // The synchronous requests processed both demo clips; ffplay was pointed at 16 kHz mono WAVs.
      expect(out).toMatch(/"message":"Processed 2\/2 clips successfully"/);
      expect(out.match(/sample_rate=16000\s+channels=1/g)?.length).toBe(2);
      // The CLI wrote the bucket layout under ./output, the long clip in chunks.
      expect(out).toContain("chunk_000.wav");
      expect(readFileSync(join(copy, "output", keys.manifest("demo-long")), "utf8")).toContain('"chunks"');
      // The long clip is in the local bucket in chunks, where the README says.
      const chunk = await fetch(`http://127.0.0.1:${ports.bucket}/clip-recap-pipeline/audio/demo-long/chunk_000.wav`);
      expect(chunk.status).toBe(200);
    } finally {
      const stopped = await stopBySignal(started, "SIGTERM");
      expect(stopped.leftovers).toEqual([]);
      expect(stopped.listening).toEqual([]);
    }
  }, 240_000);

  it("npm start also stops everything when only npm gets SIGINT", async () => {
    const started = await start();
    const stopped = await stopBySignal(started, "SIGINT");
    expect(stopped.leftovers).toEqual([]);
    expect(stopped.listening).toEqual([]);
    expect(started.output()).toContain("stopping");
  }, 180_000);
});
