/**
 * The engine's settings come only from the Worker (the Container's envVars): an engine setting
 * set in the image (Dockerfile ENV) would be in the container's environment whatever the Worker
 * forwards, so the engine's settings fingerprint would never match the Worker's and every job
 * would ask for a restart (worker/src/engine-restart.ts stops that loop after one restart, but
 * the jobs would still fail). The container tier checks the built image's environment too.
 */
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { ENGINE_ENV_NAMES } from "../../shared/config.ts";

/** The names a Dockerfile's ENV instructions set (`ENV A=1 B="x y"` and `ENV A value`). */
function dockerfileEnvNames(dockerfile: string): string[] {
  const joined = dockerfile.replace(/\\\r?\n/g, " ");
  const names: string[] = [];
  for (const line of joined.split(/\r?\n/)) {
    const match = /^\s*ENV\s+(.*)$/i.exec(line);
    if (!match?.[1]) continue;
    const rest = match[1].trim();
    if (!/^[A-Za-z_][A-Za-z0-9_]*=/.test(rest)) {
      names.push(rest.split(/\s+/)[0] ?? "");
      continue;
    }
    for (const pair of rest.matchAll(/([A-Za-z_][A-Za-z0-9_]*)=("(?:[^"\\]|\\.)*"|'[^']*'|\S*)/g))
      names.push(pair[1] ?? "");
  }
  return names;
}

describe("the image's environment", () => {
  it("reads ENV instructions in both forms", () => {
    expect(dockerfileEnvNames('ENV A=1 B="x y" \\\n  C=3\nRUN x\nenv D value with spaces\n')).toEqual([
      "A",
      "B",
      "C",
      "D",
    ]);
  });

  it("sets no engine setting in the Dockerfile", () => {
    const names = dockerfileEnvNames(readFileSync(new URL("../../Dockerfile", import.meta.url), "utf8"));
    expect(names).toContain("PORT");
    expect(names.filter((name) => ENGINE_ENV_NAMES.includes(name))).toEqual([]);
  });
});
