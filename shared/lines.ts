/**
 * Text lines from a stream of chunks, wherever the chunks break: a web ReadableStream (the
 * Worker's engine responses in workerd), a Node stream (a child process's stdout) or any async
 * iterable of bytes or strings. Bytes are decoded as UTF-8 across chunk boundaries, so a
 * character split between two chunks comes out whole. Web APIs only: both runtimes use it.
 */

/**
 * Yields each line without its ending (`\n` or `\r\n`), empty lines included, then the last
 * line when the stream does not end with a newline.
 */
export async function* lines(chunks: AsyncIterable<Uint8Array | string>): AsyncGenerator<string> {
  const decoder = new TextDecoder();
  let pending = "";
  for await (const chunk of chunks) {
    pending += typeof chunk === "string" ? chunk : decoder.decode(chunk, { stream: true });
    let end = pending.indexOf("\n");
    while (end !== -1) {
      yield withoutCarriageReturn(pending.slice(0, end));
      pending = pending.slice(end + 1);
      end = pending.indexOf("\n");
    }
  }
  pending += decoder.decode();
  if (pending !== "") yield withoutCarriageReturn(pending);
}

function withoutCarriageReturn(line: string): string {
  return line.endsWith("\r") ? line.slice(0, -1) : line;
}
