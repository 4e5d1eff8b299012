/** Local ports for the stack: a clear error when one is taken, and free ones for tests. */
import { once } from "node:events";
import { createServer } from "node:net";

export class PortInUseError extends Error {
  override readonly name = "PortInUseError";
}

/** Resolves when `port` can be bound on 127.0.0.1; throws a clear error when it is taken. */
export async function assertPortFree(port: number, what: string): Promise<void> {
  const server = createServer();
  server.listen(port, "127.0.0.1");
  try {
    await once(server, "listening");
  } catch {
    throw new PortInUseError(
      `Port ${port} (${what}) is already in use on 127.0.0.1. Stop what uses it or choose another port.`,
    );
  } finally {
    server.close();
  }
}

/** A port nobody listens on right now. */
export async function freePort(): Promise<number> {
  const server = createServer().listen(0, "127.0.0.1");
  await once(server, "listening");
  const address = server.address();
  server.close();
  if (address === null || typeof address === "string") throw new Error("no TCP address");
  return address.port;
}
