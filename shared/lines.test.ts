import { Readable } from "node:stream";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { lines } from "./lines.ts";

async function collect(chunks: AsyncIterable<Uint8Array | string>): Promise<string[]> {
  const out: string[] = [];
  for await (const line of lines(chunks)) out.push(line);
  return out;
}

async function* from<T>(items: T[]): AsyncGenerator<T> {
  for (const item of items) yield item;
}

const bytes = (text: string) => new TextEncoder().encode(text);

describe("lines", () => {
  it("joins a line split across chunk boundaries", async () => {
    expect(await collect(from(["fir", "st\nsec", "ond\n"]))).toEqual(["first", "second"]);
  });

  it("decodes a multi-byte UTF-8 character split across chunks", async () => {
    const encoded = bytes("Grüße 🎧\n");
    // "ü" is two bytes and the emoji four: cut inside each of them.
    const cuts = [0, 3, 9, 11, encoded.length];
    const chunks = cuts.slice(1).map((end, i) => encoded.subarray(cuts[i], end));
    expect(await collect(from(chunks))).toEqual(["Grüße 🎧"]);
  });

  it("yields a trailing line without a newline", async () => {
    expect(await collect(from(["a\nb"]))).toEqual(["a", "b"]);
    expect(await collect(from(["a\n"]))).toEqual(["a"]);
    expect(await collect(from([]))).toEqual([]);
  });

  it("takes CRLF endings off, even when the CR and LF arrive in different chunks", async () => {
    expect(await collect(from(["one\r\ntwo\r", "\nthree\r\n"]))).toEqual(["one", "two", "three"]);
  });

  it("keeps empty lines", async () => {
    expect(await collect(from(["a\n\nb\n"]))).toEqual(["a", "", "b"]);
  });

  it("reads a web ReadableStream and a Node stream", async () => {
    const web = new ReadableStream<Uint8Array>({
      start(controller) {
        controller.enqueue(bytes("x\ny"));
        controller.enqueue(bytes("z\n"));
        controller.close();
      },
    });
    expect(await collect(web)).toEqual(["x", "yz"]);
    expect(await collect(Readable.from([Buffer.from("p\nq"), Buffer.from("r")]))).toEqual(["p", "qr"]);
  });

  it("gives the same lines however the bytes are cut", async () => {
    const line = fc.string({ unit: fc.constantFrom("a", "é", "€", "🎧", " ", "\r"), maxLength: 8 });
    await fc.assert(
      fc.asyncProperty(fc.array(line, { maxLength: 6 }), fc.array(fc.nat(), { maxLength: 6 }), async (texts, cuts) => {
        const encoded = bytes(texts.map((text) => `${text}\n`).join(""));
        const ends = [...new Set(cuts.map((cut) => cut % (encoded.length + 1)))].sort((a, b) => a - b);
        const bounds = [0, ...ends, encoded.length];
        const chunks = bounds.slice(1).map((end, i) => encoded.subarray(bounds[i], end));
        const expected = texts.map((text) => (text.endsWith("\r") ? text.slice(0, -1) : text));
        expect(await collect(from(chunks))).toEqual(expected);
      }),
    );
  });
});
