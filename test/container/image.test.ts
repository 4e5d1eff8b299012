/**
 * The Dockerfile's production yt-dlp step, which the offline builds of this tier never take
 * (they install Debian's yt-dlp): the asset of the version pinned in container/yt-dlp.release is
 * fetched, and a file whose sha256 differs fails the build before any package is installed.
 * A local server on Docker's bridge gateway stands in for GitHub's release downloads.
 */
import { readFileSync } from "node:fs";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { resolve } from "node:path";
import { execa } from "execa";
import { expect, it } from "vitest";
import { DOCKER_HOST_ADDRESS } from "../../scripts/stack.ts";

const ROOT = resolve(import.meta.dirname, "../..");
const pinned = readFileSync(resolve(ROOT, "container/yt-dlp.release"), "utf8");
const version = /^version=(.+)$/m.exec(pinned)?.[1];

it("fetches the pinned version's asset and fails the build when its sha256 differs", async () => {
  const asked: string[] = [];
  const server = createServer((req, res) => {
    asked.push(req.url ?? "");
    res.end("#!/bin/sh\necho 'not the yt-dlp that was pinned'\n");
  });
  server.listen(0, DOCKER_HOST_ADDRESS);
  await new Promise((done) => server.once("listening", done));
  const { port } = server.address() as AddressInfo;
  try {
    const build = await execa(
      resolve(ROOT, "scripts/docker/docker-for-wrangler.sh"),
      [
        "build",
        "--build-arg",
        `YT_DLP_DOWNLOAD_BASE=http://${DOCKER_HOST_ADDRESS}:${port}`,
        "-t",
        "clip-audio-pin-check",
        "-f",
        "-",
        ".",
      ],
      {
        cwd: ROOT,
        input: readFileSync(resolve(ROOT, "Dockerfile")),
        // The local base image (no Docker Hub here); YT_DLP_SOURCE stays production's `release`.
        env: { CLIP_AUDIO_BASE_IMAGE: "clip-audio-base:bookworm-node22", CLIP_AUDIO_YT_DLP_SOURCE: "" },
        all: true,
        reject: false,
      },
    );
    expect(version).toBeTruthy();
    expect(asked).toEqual([`/${version}/yt-dlp`]);
    expect(build.exitCode).not.toBe(0);
    expect(build.all).toContain(`yt-dlp ${version}: sha256 differs from container/yt-dlp.release`);
    expect(build.all).not.toContain("Setting up ffmpeg");
  } finally {
    server.close();
  }
});
