/**
 * Structured logs, one JSON object per line, the same on both sides of the seam (the Worker in
 * workerd, the engine in Node): `{"level","time",...fields}`; errors to stderr, the rest to
 * stdout. LOG_LEVEL (or DEBUG: shared/config.ts, logLevel) sets the lowest level written. Callers never pass secrets; as a backstop a
 * field whose name says it holds one is written as "[redacted]".
 */
export const LOG_LEVELS = ["debug", "info", "warn", "error"] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

const RANK: Record<LogLevel, number> = { debug: 0, info: 1, warn: 2, error: 3 };
const SECRET_FIELD = /secret|signature|password|authorization|^token$|^cookie$/i;

/** Lines below this level are dropped; set from LOG_LEVEL when the configuration loads. */
let threshold: LogLevel = "info";

export function setLogLevel(level: LogLevel): void {
  threshold = level;
}

export function isLogLevel(value: unknown): value is LogLevel {
  return (LOG_LEVELS as readonly unknown[]).includes(value);
}

/** The line `log` writes. */
export function formatLine(level: LogLevel, fields: Record<string, unknown>, now = new Date()): string {
  const safe = Object.entries(fields).map(([key, value]) => [key, SECRET_FIELD.test(key) ? "[redacted]" : value]);
  return JSON.stringify({ level, time: now.toISOString(), ...Object.fromEntries(safe) });
}

export function log(level: LogLevel, fields: Record<string, unknown>): void {
  if (RANK[level] < RANK[threshold]) return;
  const line = formatLine(level, fields);
  if (level === "error") console.error(line);
  else console.log(line);
}
