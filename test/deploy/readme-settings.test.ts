/**
 * The README's Configuration table against the code: each default is written once, in the
 * settings' schemas, and the table only repeats it for people to read; a default changed in
 * the code but not in the table (or the other way round) fails here.
 */
import { readFileSync } from "node:fs";
import { expect, it } from "vitest";
import type { z } from "zod";
import { workerEnvSchema } from "../../worker/src/config.ts";

const README = readFileSync(new URL("../../README.md", import.meta.url), "utf8");
const SETTINGS = workerEnvSchema.shape as Record<string, z.ZodType>;

/** The table's rows: the names in the first cell, the default cell. */
function rows(): { names: string[]; defaults: string }[] {
  const section = README.slice(README.indexOf("## Configuration"), README.indexOf("## Tests"));
  return section
    .split("\n")
    .filter((line) => line.startsWith("| `"))
    .map((line) => {
      const [names = "", defaults = ""] = line.split(" | ");
      return { names: [...names.matchAll(/`([A-Z0-9_]+)`/g)].map((m) => m[1] as string), defaults };
    });
}

/** A default as the table writes it: empty for an unset or empty setting. */
function written(value: unknown): string {
  if (value === null || (Array.isArray(value) && value.length === 0)) return "";
  return String(value);
}

it("the Configuration table gives every setting's default as the code has it", () => {
  const checked: string[] = [];
  for (const { names, defaults } of rows()) {
    const settings = names.filter((name) => name in SETTINGS);
    if (settings.length === 0) continue;
    // "unset …", "empty …", "— …": no value by default, whatever the rest of the cell says.
    const values = /^(unset|empty|—)/.test(defaults) ? [] : [...defaults.matchAll(/`([^`]+)`/g)].map((m) => m[1]);
    settings.forEach((name, i) => {
      const value = values.length === 0 ? "" : settings.length === 1 || values.length === 1 ? values[0] : values[i];
      expect(written(SETTINGS[name]?.parse(undefined)), `README's default of ${name}`).toBe(value);
      checked.push(name);
    });
  }
  // The table names every setting but the environment's deployment-only names.
  expect(checked.sort()).toEqual(Object.keys(SETTINGS).sort());
});
