/**
 * Preloaded into a measured Node process (`node --import ./bench/probe.ts <script>`), without
 * changing the measured code:
 * - at exit it writes to `BENCH_PROBE_OUT` its own peak RSS (`VmHWM` of /proc/self/status) and
 *   CPU times from /proc/self/stat: utime/stime of the process itself and cutime/cstime of every
 *   child it has reaped (yt-dlp, ffmpeg, ffprobe), which include those children's own reaped
 *   descendants (e.g. the ffmpeg yt-dlp runs);
 * - it wraps `child_process.spawn` (which execa and execFile use) to log each subprocess with its
 *   start and end time, for the time breakdown.
 * Times are epoch milliseconds (performance.timeOrigin + now) so they line up with the fixture
 * server's request log in the parent process.
 */
import childProcess, { type ChildProcess } from "node:child_process";
import { readFileSync, writeFileSync } from "node:fs";
import { syncBuiltinESMExports } from "node:module";

export interface SpawnRecord {
  command: string;
  args: string[];
  startMs: number;
  endMs: number | null;
  exitCode: number | null;
}

export interface ProbeReport {
  pid: number;
  /** When this module ran: Node has booted, the measured script has not been loaded yet. */
  probeStartMs: number;
  exitMs: number;
  exitCode: number;
  vmHwmKb: number;
  /** Clock ticks (CLK_TCK per second): [utime, stime, cutime, cstime]. */
  ticks: [number, number, number, number];
  spawns: SpawnRecord[];
}

const epochMs = () => performance.timeOrigin + performance.now();
const probeStartMs = epochMs();
const out = process.env.BENCH_PROBE_OUT;
const spawns: SpawnRecord[] = [];

if (out) {
  const original = childProcess.spawn;
  const wrapped = function (this: unknown, ...params: unknown[]): ChildProcess {
    const child = (original as (...a: unknown[]) => ChildProcess).apply(this, params);
    const args = Array.isArray(params[1]) ? (params[1] as unknown[]).map(String) : [];
    const record: SpawnRecord = {
      command: String(params[0]),
      args: args.slice(0, 40),
      startMs: epochMs(),
      endMs: null,
      exitCode: null,
    };
    spawns.push(record);
    child.once("exit", (code) => {
      record.endMs = epochMs();
      record.exitCode = code;
    });
    return child;
  };
  childProcess.spawn = wrapped as typeof childProcess.spawn;
  syncBuiltinESMExports();

  process.on("exit", (code) => {
    const status = readFileSync("/proc/self/status", "utf8");
    const hwm = /VmHWM:\s+(\d+)\s+kB/.exec(status);
    // Fields after the command name, which is in parentheses and may contain spaces.
    const stat = readFileSync("/proc/self/stat", "utf8");
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    // utime is field 14 of the full line, i.e. index 11 after pid and comm.
    const ticks = [11, 12, 13, 14].map((i) => Number(fields[i])) as ProbeReport["ticks"];
    const report: ProbeReport = {
      pid: process.pid,
      probeStartMs,
      exitMs: epochMs(),
      exitCode: code,
      vmHwmKb: hwm ? Number(hwm[1]) : 0,
      ticks,
      spawns,
    };
    writeFileSync(out, JSON.stringify(report));
  });
}
