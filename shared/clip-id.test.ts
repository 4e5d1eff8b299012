import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  CLIP_ID_PATTERN,
  clipIdFromUrl,
  echoedId,
  invalidClipIdMessage,
  parseClipId,
  parseClipIdList,
} from "./clip-id.ts";

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
      message: `Invalid clip ID(s):  (empty or whitespace only),     (empty or whitespace only), ${"a".repeat(100)}… (too long). ${SUFFIX}`,
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
        const problem = /^[a-z][a-z0-9+.-]*:\/\//i.test(id) ? "not a Twitch clip URL" : "contains invalid characters";
        expect(result).toEqual({
          ok: false,
          message: `Invalid clip ID(s): ${echoedId(id)} (${problem}). ${SUFFIX}`,
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
    ["https://clips.twitch.tv/embed?clip=AbC-123&parent=example.com", "AbC-123"],
    ["https://clips.twitch.tv/embed?parent=example.com&clip=AbC", "AbC"],
    ["https://clips.twitch.tv/AbC/?tt_medium=clips_api", "AbC"],
    ["https://CLIPS.twitch.tv/AbC#t=3", "AbC"],
    ["https://m.twitch.tv/clip/AbC", "AbC"],
    ["https://go.twitch.tv/chan/clip/AbC?a=b", "AbC"],
    ["https://www.twitch.tv/chan/clip/AbC/?filter=clips&range=7d", "AbC"],
  ])("reads %s", (url, id) => {
    expect(clipIdFromUrl(url)).toBe(id);
  });

  it.each([
    "https://evil.example/clip/AbC",
    "https://www.twitch.tv/videos/12345",
    "https://www.twitch.tv/chan",
    "ftp://clips.twitch.tv/AbC",
    "AbC",
    "https://clips.twitch.tv/embed",
    "https://clips.twitch.tv/embed?parent=example.com",
    "https://clips.twitch.tv/chan/AbC",
    "https://www.twitch.tv/chan/clip",
    "https://www.twitch.tv/chan/clips",
    "https://www.twitch.tv/chan/clip/AbC/extra",
    "https://clips.twitch.tv.evil.example/AbC",
    "https://user@clips.twitch.tv/AbC",
    "https://clips.twitch.tv:8443/AbC",
  ])("refuses %s", (url) => {
    expect(clipIdFromUrl(url)).toBeNull();
  });

  it.each([
    "https://clips.twitch.tv/embed",
    "https://clips.twitch.tv/embed?parent=x",
    "https://www.twitch.tv/videos/12345",
    "https://www.twitch.tv/chan",
    "ftp://clips.twitch.tv/AbC",
    "https://evil.example/clip/AbC",
  ])("names %s as not a clip URL, never as a clip called 'embed' or the like", (url) => {
    expect(parseClipId(url)).toEqual({ ok: false, problem: "not_a_clip_url" });
    expect(parseClipIdList([url])).toEqual({
      ok: false,
      message: `Invalid clip ID(s): ${url} (not a Twitch clip URL). ${SUFFIX}`,
    });
  });

  it("reads a bare v1234567 as a clip id (a VOD needs its twitch.tv/videos URL)", () => {
    expect(parseClipId("v1234567")).toEqual({ ok: true, id: "v1234567" });
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

  it("echoes at most 100 characters of a bad id, however long", () => {
    const huge = `@${"x".repeat(1_000_000)}`;
    const message = invalidClipIdMessage(huge) as string;
    expect(message).toBe(`Invalid clip ID(s): @${"x".repeat(99)}… (too long). ${SUFFIX}`);
    const list = parseClipIdList([huge, "a b"]);
    expect(list.ok ? "" : list.message).toBe(
      `Invalid clip ID(s): @${"x".repeat(99)}… (too long), a b (contains invalid characters). ${SUFFIX}`,
    );
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
