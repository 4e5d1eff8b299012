/**
 * An engine in Docker and the URLs it is given: inside the container 127.0.0.1 is the container
 * itself, so a source or bucket on this machine's loopback would fail every clip with
 * `download_failed` and no hint. `npm start` (chooseEngine) runs such an engine on the host in
 * auto mode, and refuses CLIP_AUDIO_ENGINE=docker with the fix; so does startStack itself, before
 * anything is started.
 */
import { chmod, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { chooseEngine, DOCKER_HOST_ADDRESS, dockerUnreachable, EngineSettingsError } from "./docker-engine.ts";
import { freePort, startStack } from "./stack.ts";

describe("dockerUnreachable", () => {
  it.each([
    ["CLIP_SOURCE_URL_TEMPLATE", "http://127.0.0.1:9000/{id}", `http://${DOCKER_HOST_ADDRESS}:9000/{id}`],
    [
      "CLIP_SOURCE_URL_TEMPLATE",
      "http://localhost:9000/clips/{id}.mp4",
      `http://${DOCKER_HOST_ADDRESS}:9000/clips/{id}.mp4`,
    ],
    ["CLIP_SOURCE_URL_TEMPLATE", "http://LocalHost/{id}", `http://${DOCKER_HOST_ADDRESS}/{id}`],
    ["CLIP_SOURCE_URL_TEMPLATE", "http://[::1]:9000/{id}", `http://${DOCKER_HOST_ADDRESS}:9000/{id}`],
    ["CLIP_SOURCE_URL_TEMPLATE", "http://127.8.0.1:9000/{id}", `http://${DOCKER_HOST_ADDRESS}:9000/{id}`],
    ["CLIP_SOURCE_URL_TEMPLATE", "http://user@0.0.0.0:9000/{id}", `http://user@${DOCKER_HOST_ADDRESS}:9000/{id}`],
    ["DEMO_SOURCE_URL", "http://127.0.0.1:8791", `http://${DOCKER_HOST_ADDRESS}:8791`],
    ["S3_ENDPOINT", "http://clips.localhost:4568", `http://${DOCKER_HOST_ADDRESS}:4568`],
  ])("%s=%s: names the setting, the failure and the fix", (name, value, onGateway) => {
    const problem = dockerUnreachable({ [name]: value });
    expect(problem).toContain(`${name}=${value} names this machine's loopback`);
    expect(problem).toContain("download_failed");
    expect(problem).toContain(`set ${name}=${onGateway}, or run the engine on the host: CLIP_AUDIO_ENGINE=process.`);
  });

  it("accepts what a container reaches: the bridge gateway, Twitch, and settings left unset", () => {
    expect(
      dockerUnreachable({
        CLIP_SOURCE_URL_TEMPLATE: "https://clips.twitch.tv/{id}",
        DEMO_SOURCE_URL: `http://${DOCKER_HOST_ADDRESS}:8791`,
        S3_ENDPOINT: `http://${DOCKER_HOST_ADDRESS}:4568`,
      }),
    ).toBeNull();
    expect(dockerUnreachable({})).toBeNull();
    // Not a URL: left to the engine's own validation, which names it.
    expect(dockerUnreachable({ CLIP_SOURCE_URL_TEMPLATE: "not a url" })).toBeNull();
  });
});

describe("chooseEngine", () => {
  const loopback = { CLIP_SOURCE_URL_TEMPLATE: "http://127.0.0.1:9000/{id}" };
  const readied = async () => true;
  const notReadied = async () => false;

  it("auto: Docker where it is readied and the settings suit it, else the host", async () => {
    expect(await chooseEngine(undefined, {}, readied)).toEqual({ mode: "docker" });
    expect(await chooseEngine("auto", {}, notReadied)).toEqual({ mode: "process" });
    expect(await chooseEngine(" ", loopback, notReadied)).toEqual({ mode: "process" });
  });

  it("auto with a loopback source: the host, saying why", async () => {
    const chosen = await chooseEngine("auto", loopback, readied);
    expect(chosen.mode).toBe("process");
    expect(chosen.notice).toMatch(
      /^The engine runs on the host, not in Docker: CLIP_SOURCE_URL_TEMPLATE=http:\/\/127\.0\.0\.1/,
    );
  });

  it("docker with a loopback source is refused with the fix; process is taken as asked", async () => {
    await expect(chooseEngine("docker", loopback, readied)).rejects.toThrow(EngineSettingsError);
    await expect(chooseEngine("docker", loopback, readied)).rejects.toThrow(/CLIP_AUDIO_ENGINE=process/);
    expect(await chooseEngine("docker", {}, notReadied)).toEqual({ mode: "docker" });
    expect(await chooseEngine("process", loopback, readied)).toEqual({ mode: "process" });
    await expect(chooseEngine("podman", {}, readied)).rejects.toThrow(
      'CLIP_AUDIO_ENGINE="podman": expected process, docker or auto',
    );
  });
});

describe("startStack with the engine in Docker", () => {
  it("refuses a loopback source before it starts anything", async () => {
    const dataDir = await mkdtemp(join(tmpdir(), "clip-audio-docker-refused-"));
    // Were the check ever moved after scripts/docker/prepare.sh, this stand-in docker (it
    // answers every command with nothing) makes prepare.sh fail at once instead of starting a dockerd.
    await writeFile(join(dataDir, "docker"), "#!/bin/sh\n# test stand-in for docker\nexit 0\n");
    await chmod(join(dataDir, "docker"), 0o755);
    const path = process.env.PATH;
    process.env.PATH = `${dataDir}:${path}`;
    try {
      const [worker, container, bucket, inspector] = await Promise.all([
        freePort(),
        freePort(),
        freePort(),
        freePort(),
      ]);
      const started = startStack({
        engine: "docker",
        ports: { worker, container, bucket, inspector },
        dataDir,
        env: { CLIP_SOURCE_URL_TEMPLATE: "http://localhost:9000/{id}" },
      });
      await expect(started).rejects.toThrow(EngineSettingsError);
      await expect(started).rejects.toThrow(`set CLIP_SOURCE_URL_TEMPLATE=http://${DOCKER_HOST_ADDRESS}:9000/{id}`);
    } finally {
      process.env.PATH = path;
      await rm(dataDir, { recursive: true, force: true });
    }
  });
});
