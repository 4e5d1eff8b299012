/**
 * Starts the real container service (`node container/src/server.ts`) on 127.0.0.1 with a
 * free port, for the Worker's tests and the end-to-end tests. Resolves once it prints its
 * `listening` line.
 */
import { resolve } from "node:path";
import { execa, type ResultPromise } from "execa";

const SERVER = resolve(import.meta.dirname, "../../container/src/server.ts");
/** The service starts in well under a second; this is for a loaded CI machine. */
const START_TIMEOUT_MS = 20_000;

export interface EngineProcess {
  url: string;
  process: ResultPromise;
  stop(): Promise<void>;
}

export async function startEngineProcess(env: Record<string, string>): Promise<EngineProcess> {
  const child = execa(process.execPath, [SERVER], {
    // Its `listening` line (an info line) is how the port is learnt, whatever level the caller set.
    env: { HOST: "127.0.0.1", PORT: "0", ...env, LOG_LEVEL: "info" },
    stdin: "ignore",
    buffer: false,
    reject: false,
    cleanup: true,
    forceKillAfterDelay: 2_000,
  });
  const port = await new Promise<number>((done, fail) => {
    const timer = setTimeout(() => fail(new Error("the container service did not start in time")), START_TIMEOUT_MS);
    let pending = "";
    child.stdout?.on("data", (data: Buffer) => {
      pending += data.toString();
      const match = /"msg":"listening","port":(\d+)/.exec(pending);
      if (match) {
        clearTimeout(timer);
        done(Number(match[1]));
      }
    });
    child.stderr?.on("data", (data: Buffer) => process.stderr.write(`[engine] ${data}`));
    void child.then((result) => fail(new Error(`the container service exited (${result.exitCode}) before listening`)));
  });
  return {
    url: `http://127.0.0.1:${port}`,
    process: child,
    stop: async () => {
      child.kill("SIGTERM");
      await child;
    },
  };
}
