import { describe, expect, it } from "vitest";
import { ConfigError } from "../../shared/config.ts";
import { loadConfig } from "../src/config.ts";
import { resolveSource } from "../src/source.ts";

const TWITCH = { clipTemplate: "https://clips.twitch.tv/{id}", allowedHosts: [] };
const DEMO = { ...TWITCH, demoSourceUrl: "http://127.0.0.1:8791/" };

describe("demo clip ids", () => {
  it("resolve against DEMO_SOURCE_URL when it is set", () => {
    expect(resolveSource("demo-hello", DEMO)).toEqual({
      id: "demo-hello",
      kind: "clip",
      url: "http://127.0.0.1:8791/demo-hello",
      range: null,
    });
  });

  it("are ordinary Twitch clip ids when it is unset", () => {
    expect(resolveSource("demo-hello", TWITCH).url).toBe("https://clips.twitch.tv/demo-hello");
    expect(resolveSource("demo-hello", { ...TWITCH, demoSourceUrl: null }).url).toBe(
      "https://clips.twitch.tv/demo-hello",
    );
  });

  it("never send a real clip id to the demo source", () => {
    expect(resolveSource("AbC", DEMO).url).toBe("https://clips.twitch.tv/AbC");
    expect(resolveSource("demohello", DEMO).url).toBe("https://clips.twitch.tv/demohello");
  });
});

describe("the engine's own guard", () => {
  it("refuses DEMO_SOURCE_URL when told it runs in production, accepts it otherwise", () => {
    const env = { DEMO_SOURCE_URL: "http://127.0.0.1:8791" };
    expect(() => loadConfig({ ...env, ENVIRONMENT: "production" })).toThrow(ConfigError);
    expect(loadConfig({ ...env, ENVIRONMENT: "development" }).DEMO_SOURCE_URL).toBe("http://127.0.0.1:8791");
    // The Worker forwards only engine settings, so the engine often cannot tell; the Worker refuses.
    expect(loadConfig(env).DEMO_SOURCE_URL).toBe("http://127.0.0.1:8791");
  });
});

describe("clips and VODs", () => {
  const VODS = { ...TWITCH, allowVods: true };

  it("reads a bare v1234567 as a clip id, through CLIP_SOURCE_URL_TEMPLATE, even with VODs allowed", () => {
    for (const settings of [TWITCH, VODS]) {
      expect(resolveSource("v1234567", settings)).toEqual({
        id: "v1234567",
        kind: "clip",
        url: "https://clips.twitch.tv/v1234567",
        range: null,
      });
    }
  });

  it("reads the clip id from an embed URL, never a clip called 'embed'", () => {
    expect(resolveSource("https://clips.twitch.tv/embed?clip=AbC&parent=x", TWITCH)).toMatchObject({
      id: "AbC",
      kind: "clip",
      url: "https://clips.twitch.tv/AbC",
    });
    expect(() => resolveSource("https://clips.twitch.tv/embed", TWITCH)).toThrow(
      "Host clips.twitch.tv is not allowed; add it to SOURCE_HOSTS to process URLs from it",
    );
  });

  it("refuses a VOD URL unless ALLOW_VODS is on", () => {
    const url = "https://www.twitch.tv/videos/123456789";
    for (const settings of [TWITCH, { ...TWITCH, allowVods: false }]) {
      expect(() => resolveSource(url, settings)).toThrow(
        "Twitch VODs are not enabled here (set ALLOW_VODS=true to process them)",
      );
    }
    expect(resolveSource(url, VODS)).toEqual({
      id: "v123456789",
      kind: "vod",
      url: "https://www.twitch.tv/videos/123456789",
      range: null,
    });
  });

  it("reads a VOD URL's range when allowed", () => {
    expect(resolveSource("https://m.twitch.tv/videos/123456789?t=1h#1:00:00-1:30:00", VODS)).toEqual({
      id: "v123456789_3600-5400",
      kind: "vod",
      url: "https://www.twitch.tv/videos/123456789",
      range: { startSeconds: 3600, endSeconds: 5400 },
    });
  });

  it("ALLOW_VODS is an engine setting, off by default", () => {
    expect(loadConfig({}).ALLOW_VODS).toBe(false);
    expect(loadConfig({ ALLOW_VODS: "true" }).ALLOW_VODS).toBe(true);
  });
});
