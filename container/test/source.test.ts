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
