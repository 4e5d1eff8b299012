/**
 * The engine started as root with RUN_AS_USER switches to that user itself, so that the tools it
 * runs as that user cannot read its environment (the secrets) from /proc. Here on the host, with
 * the real `node container/src/server.ts` and `nobody` as the user (the image uses `node`; the
 * container tier checks the image). Needs root, as the image's start does.
 */
import { readdirSync, readFileSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { execa } from "execa";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type EngineProcess, startEngineProcess } from "../../test/support/engine-process.ts";
import { letOthersReach } from "../../test/support/reachable.ts";
import { lookupAccount } from "../src/privileges.ts";

const SERVER = resolve(import.meta.dirname, "../src/server.ts");
const SECRET = "privileges-test-secret-5d0c";
const NOBODY = { uid: 65_534, gid: 65_534 };
const NO_BUCKET = { S3_ENDPOINT: "", CLOUDFLARE_ACCOUNT_ID: "", R2_ACCESS_KEY_ID: "", R2_SECRET_ACCESS_KEY: "" };
/** A work folder that does not exist yet: the engine creates it after switching users. */
const workDir = () => join(tmpdir(), `engine-privileges-${process.pid}-${Math.random().toString(36).slice(2)}`);

/** Reads a file as `nobody`, as yt-dlp would: its text, or null when the kernel refuses. */
async function readAsNobody(path: string): Promise<string | null> {
  const result = await execa("cat", [path], { ...NOBODY, reject: false, env: {}, extendEnv: false });
  return result.exitCode === 0 ? result.stdout : null;
}

/** The processes whose parent is `pid`, with their real uid. */
function children(pid: number): { pid: number; uid: number; cmd: string }[] {
  const out: { pid: number; uid: number; cmd: string }[] = [];
  for (const entry of readdirSync("/proc").filter((p) => /^\d+$/.test(p))) {
    try {
      const status = readFileSync(`/proc/${entry}/status`, "utf8");
      if (Number(/^PPid:\s+(\d+)/m.exec(status)?.[1]) !== pid) continue;
      const uid = Number(/^Uid:\s+(\d+)/m.exec(status)?.[1]);
      const cmd = readFileSync(`/proc/${entry}/cmdline`, "utf8").split("\0").join(" ").trim();
      out.push({ pid: Number(entry), uid, cmd });
    } catch {
      // Gone meanwhile.
    }
  }
  return out;
}

// The checkout's code runs as `nobody` here: a clone in a private folder must let it in.
let closeAgain: () => void = () => undefined;
beforeAll(() => {
  closeAgain = letOthersReach(resolve(import.meta.dirname, "../.."));
});
afterAll(() => closeAgain());

describe("the engine started as root with RUN_AS_USER", () => {
  let engine: EngineProcess;
  let pid: number;

  beforeAll(async () => {
    expect(process.getuid?.(), "this test starts the engine as root, as the image does").toBe(0);
    engine = await startEngineProcess({
      ...NO_BUCKET,
      ENVIRONMENT: "development",
      HMAC_SHARED_SECRET: SECRET,
      RUN_AS_USER: "nobody",
      WORK_DIR: workDir(),
    });
    pid = engine.process.pid as number;
  }, 30_000);
  afterAll(async () => engine?.stop());

  it("runs as that user, and so do the tools it starts", async () => {
    expect(statSync(`/proc/${pid}`).uid).toBe(NOBODY.uid);
    expect((await fetch(`${engine.url}/health`)).status).toBe(200);
    // The resident yt-dlp extractors start with the engine.
    const tools = children(pid);
    expect(tools.some((tool) => tool.cmd.includes("extractor.py"))).toBe(true);
    for (const tool of tools) expect(tool.uid, tool.cmd).toBe(NOBODY.uid);
  });

  it("keeps its environment, with the secret, from every process of that user", async () => {
    expect(await readAsNobody(`/proc/${pid}/environ`)).toBeNull();
    expect(await readAsNobody(`/proc/${pid}/maps`)).toBeNull();
    // The same read of a process of that user that did not switch users itself succeeds, with
    // the value: the refusal above is the engine's doing, not the method's.
    const plain = execa("sleep", ["30"], { ...NOBODY, env: { CANARY: SECRET }, extendEnv: false });
    try {
      await new Promise((done) => setTimeout(done, 200));
      expect(await readAsNobody(`/proc/${plain.pid}/environ`)).toContain(`CANARY=${SECRET}`);
      expect(await readAsNobody(`/proc/${plain.pid}/maps`)).toContain("sleep");
    } finally {
      plain.kill();
      await plain.catch(() => undefined);
    }
  });
});

describe("RUN_AS_USER it cannot honour", () => {
  const start = (env: Record<string, string>, options: { uid?: number; gid?: number } = {}) =>
    execa(process.execPath, [SERVER], {
      env: { HOST: "127.0.0.1", PORT: "0", ...NO_BUCKET, HMAC_SHARED_SECRET: SECRET, WORK_DIR: workDir(), ...env },
      reject: false,
      timeout: 10_000,
      ...options,
    });

  it("refuses to start (exit 2) for a user that does not exist", async () => {
    const result = await start({ RUN_AS_USER: "no-such-user" });
    expect(result.exitCode).toBe(2);
    expect(result.stderr).toContain('RUN_AS_USER="no-such-user": no such user in /etc/passwd');
  });

  it("refuses to start already as that user: its environment would be readable by the tools", async () => {
    const result = await start({ RUN_AS_USER: "nobody" }, NOBODY);
    expect(result.exitCode).toBe(2);
    expect(result.stderr).toContain("the engine must start as root and switch to nobody itself");
    expect(result.stderr).not.toContain(SECRET);
  });
});

describe("lookupAccount", () => {
  it("reads uid, gid and home from a passwd file", () => {
    const passwd = "root:x:0:0:root:/root:/bin/bash\nnode:x:1000:1000::/home/node:/bin/bash\n";
    expect(lookupAccount("node", passwd)).toEqual({ uid: 1000, gid: 1000, home: "/home/node" });
    expect(lookupAccount("nobody", passwd)).toBeNull();
  });
});
