/**
 * The team's guide: source files stay under 300 lines (one concern per module). Every committed
 * source file is counted as `wc -l` counts it; tests (a table of cases may run long) and
 * generated declarations (`wrangler types`) are left out.
 */
import { execFileSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";

const ROOT = join(import.meta.dirname, "../..");
const MAX_LINES = 300;
const SOURCE = /\.(ts|tsx|mts|js|mjs|cjs|py|sh)$/;
const EXEMPT = /\.test\.tsx?$|\.d\.m?ts$/;

function sourceFiles(): string[] {
  const tracked = execFileSync("git", ["ls-files", "-z"], { cwd: ROOT, encoding: "utf8" }).split("\0");
  return tracked.filter((path) => SOURCE.test(path) && !EXEMPT.test(path));
}

/** Lines as `wc -l` counts them: newline characters. */
const lineCount = (path: string) => readFileSync(join(ROOT, path), "utf8").split("\n").length - 1;

describe("file length", () => {
  it(`keeps every source file within ${MAX_LINES} lines`, () => {
    const files = sourceFiles();
    expect(files.length, "git ls-files found the sources").toBeGreaterThan(50);
    const long = files
      .map((path) => ({ path, lines: lineCount(path) }))
      .filter(({ lines }) => lines > MAX_LINES)
      .map(({ path, lines }) => `${path}: ${lines} lines`);
    expect(long, `split these by concern (at most ${MAX_LINES} lines each)`).toEqual([]);
  });
});
