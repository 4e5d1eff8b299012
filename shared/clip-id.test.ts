import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { CLIP_ID_PATTERN, clipIdFromUrl, invalidClipIdMessage, parseClipId, parseClipIdList } from "./clip-id.ts";

const SUFFIX = "Clip IDs must contain only alphanumeric characters, hyphens, and underscores.";
const idChar = fc.constantFrom(..."abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_-");
const validId = fc.string({ unit: idChar, minLength: 1, maxLength: 100 });

describe("parseClipIdList", () => {
  it("gives the contract's message for an empty list", () => {
    expect(parseClipIdList([])).toEqual({ ok: false, message: "No clip IDs provided" });
  });

  it("gives the contract's message for more than 10 ids", () => {
    const ids = Array.from({ length: 11 }, (_, i) => `clip${i}`);
    expect(parseClipIdList(ids)).toEqual({ ok: false, message: "Maximum 10 clips per request" });
    expect(parseClipIdList(ids.slice(0, 10)).ok).toBe(true);
  });

  it("names every offending id in request order, exactly as the contract", () => {
    expect(parseClipIdList(["good", "clip@123", "ab cd"])).toEqual({
      ok: false,
      message: `Invalid clip ID(s): clip@123 (contains invalid characters), ab cd (contains invalid characters). ${SUFFIX}`,
    });
  });

  it("describes empty, blank and too long ids", () => {
    const long = "a".repeat(101);
    expect(parseClipIdList(["", "   ", long])).toEqual({
      ok: false,
      message: `Invalid clip ID(s):  (empty or whitespace only),     (empty or whitespace only), ${long} (too long). ${SUFFIX}`,
    });
    expect(parseClipIdList(["a".repeat(100)]).ok).toBe(true);
  });

  it("reduces clip URLs to ids and drops duplicates, keeping first-seen order", () => {
    expect(
      parseClipIdList([
        "Beta",
        "https://clips.twitch.tv/Alpha-1_x",
        "https://www.twitch.tv/somechannel/clip/Beta",
        "Alpha-1_x",
        "  Gamma  ",
      ]),
    ).toEqual({ ok: true, ids: ["Beta", "Alpha-1_x", "Gamma"] });
  });

  it("accepts any list of valid ids and returns them de-duplicated (property)", () => {
    fc.assert(
      fc.property(fc.array(validId, { minLength: 1, maxLength: 10 }), (ids) => {
        const result = parseClipIdList(ids);
        expect(result).toEqual({ ok: true, ids: [...new Set(ids)] });
      }),
    );
  });

  it("rejects any id with a character outside the pattern, naming it (property)", () => {
    const bad = fc
      .tuple(
        validId,
        fc
          .string({ minLength: 1, maxLength: 3 })
          .filter((s) => !CLIP_ID_PATTERN.test(s) && s.trim() === s && s.trim() !== ""),
      )
      .map(([id, junk]) => `${id.slice(0, 90)}${junk}`)
      .filter((s) => clipIdFromUrl(s) === null);
    fc.assert(
      fc.property(bad, (id) => {
        const result = parseClipIdList(["fine", id]);
        expect(result).toEqual({
          ok: false,
          message: `Invalid clip ID(s): ${id} (contains invalid characters). ${SUFFIX}`,
        });
      }),
    );
  });
});

describe("clipIdFromUrl", () => {
  it.each([
    ["https://clips.twitch.tv/AbC-123", "AbC-123"],
    ["http://clips.twitch.tv/AbC", "AbC"],
    ["https://www.twitch.tv/chan/clip/AbC?filter=clips", "AbC"],
    ["https://twitch.tv/chan/clip/AbC", "AbC"],
    ["https://m.twitch.tv/chan/clip/AbC/", "AbC"],
  ])("reads %s", (url, id) => {
    expect(clipIdFromUrl(url)).toBe(id);
  });

  it.each([
    "https://evil.example/clip/AbC",
    "https://www.twitch.tv/videos/12345",
    "https://www.twitch.tv/chan",
    "ftp://clips.twitch.tv/AbC",
    "AbC",
  ])("refuses %s", (url) => {
    expect(clipIdFromUrl(url)).toBeNull();
  });

  it("a URL carrying a bad id is still rejected", () => {
    expect(parseClipId("https://clips.twitch.tv/a%40b")).toEqual({ ok: false, problem: "invalid_characters" });
  });
});

describe("invalidClipIdMessage", () => {
  it("is null for a valid id and the contract's message otherwise", () => {
    expect(invalidClipIdMessage("AbC")).toBeNull();
    expect(invalidClipIdMessage("a.b")).toBe(`Invalid clip ID(s): a.b (contains invalid characters). ${SUFFIX}`);
  });
});

describe("parseClipId", () => {
  it("never throws, whatever the input (property)", () => {
    fc.assert(
      fc.property(
        fc.oneof(
          fc.string(),
          fc.webUrl().map((u) => `${u}/%E0%A4%A`),
        ),
        (input) => {
          expect(() => parseClipId(input)).not.toThrow();
        },
      ),
    );
    expect(parseClipId("https://clips.twitch.tv/%E0%A4%A")).toEqual({ ok: false, problem: "invalid_characters" });
  });
});
