/**
 * The README's shell blocks and what each is marked for. A fenced `sh` block must follow an
 * HTML comment saying what the README test does with it, so no command goes untested by
 * accident:
 *
 *   <!-- readme-test: run -->            run as printed (only the local ports are changed)
 *   <!-- readme-test: start (why) -->    its first line starts the stack (`npm start`)
 *   <!-- readme-test: skip (why) -->     not run here; the reason is required
 */

export type Marker = { kind: "run" | "start" | "skip"; note: string } | null;

export interface ShellBlock {
  /** 1-based line of the opening fence. */
  line: number;
  marker: Marker;
  code: string;
}

const MARKER = /^\s*<!--\s*readme-test:\s*(run|start|skip)\b\s*(.*?)\s*-->\s*$/;
const FENCE_OPEN = /^(\s*)```(\S*)\s*$/;

export function shellBlocks(markdown: string): ShellBlock[] {
  const lines = markdown.split("\n");
  const blocks: ShellBlock[] = [];
  for (let i = 0; i < lines.length; i++) {
    const open = FENCE_OPEN.exec(lines[i] as string);
    if (!open) continue;
    const indent = open[1] as string;
    const end = lines.findIndex((l, j) => j > i && l.trim() === "```");
    if (end < 0) throw new Error(`README.md:${i + 1}: unclosed code fence`);
    if (open[2] === "sh" || open[2] === "bash" || open[2] === "shell") {
      const previous = i > 0 ? MARKER.exec(lines[i - 1] as string) : null;
      const code = lines
        .slice(i + 1, end)
        .map((l) => (l.startsWith(indent) ? l.slice(indent.length) : l))
        .join("\n");
      blocks.push({
        line: i + 1,
        marker: previous ? { kind: previous[1] as "run" | "start" | "skip", note: previous[2] as string } : null,
        code,
      });
    }
    i = end;
  }
  return blocks;
}

/** The local ports as the README prints them (`npm start`'s defaults). */
export const README_PORTS = { worker: 8787, container: 8790, bucket: 4568, inspector: 9230, demo: 8791 } as const;

/** `code` with every default port replaced by the one actually in use; nothing else changes. */
export function withPorts(code: string, ports: Record<keyof typeof README_PORTS, number>): string {
  const byDefault = new Map(Object.entries(README_PORTS).map(([name, port]) => [String(port), name]));
  const pattern = new RegExp(`\\b(${[...byDefault.keys()].join("|")})\\b`, "g");
  return code.replace(pattern, (port) => String(ports[byDefault.get(port) as keyof typeof README_PORTS]));
}
