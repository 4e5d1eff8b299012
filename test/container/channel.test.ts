/**
 * yt-dlp's channel builds inside the real image: in an engine container this tier's Worker
 * started, the engine's own CLI (`--yt-dlp-channel nightly`), run as the tools' user `node` the
 * way the engine runs after its uid switch, downloads a nightly from a stand-in of GitHub's
 * release downloads (on Docker's bridge gateway; GitHub cannot be reached here), verifies it
 * with the image's openpgp, caches it in the engine's WORK_DIR and runs it with the image's
 * python3. The nightly is a real yt-dlp zipapp signed with this run's key; the yt-dlp on PATH
 * is replaced by the Twitch-broken stand-in, so only the nightly can read the clip.
 *
 * Not through the Worker: the stand-in's URL and the test key reach an engine only through its
 * own environment, and the Worker never forwards either to a container (README), so a job the
 * Worker sends there can only fetch from github.com.
 */
import { randomUUID } from "node:crypto";
import { execa } from "execa";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import type { CliReport } from "../../container/src/cli-report.ts";
import { RELEASES_URL_VARIABLE } from "../../container/src/ytdlp-channel/releases.ts";
import { sha256, TEST_KEY_VARIABLE } from "../../container/src/ytdlp-channel/signature.ts";
import { DOCKER_HOST_ADDRESS } from "../../scripts/stack.ts";
import { signRequest } from "../../shared/hmac.ts";
import { keys } from "../../shared/keys.ts";
import type { Manifest } from "../../shared/schemas.ts";
import { FIXED_NIGHTLY, FORGED_NIGHTLY, NIGHTLY_REPO, PINNED_VERSION } from "../support/channel-tags.ts";
import {
  type ReleaseServer,
  type SigningKey,
  signedRelease,
  startReleaseServer,
  testSigningKey,
} from "../support/release-server.ts";

import { realZipapp, twitchBrokenZipapp } from "../support/ytdlp-builds.ts";
import { engineContainers } from "./engines.ts";

/** The image's settings (Dockerfile): where the engine works, as whom. */
const WORK_DIR = "/tmp/clip-audio";
const BUILDS = `${WORK_DIR}/yt-dlp-builds`;
const scratch = `/tmp/channel-test-${randomUUID().slice(0, 8)}`;
const PIN_DIR = `${scratch}/pin`;
const OUT_DIR = `${scratch}/out`;

let releases: ReleaseServer;
let key: SigningKey;
let nightlySha = "";
let container = "";

/** A clip through the Worker, which has workerd start an engine container if none runs. */
async function processThroughWorker(clipId: string): Promise<void> {
  const body = JSON.stringify({ clip_ids: [clipId] });
  const response = await fetch(`${inject("workerUrl")}/api/process-clips`, {
    method: "POST",
    headers: {
      "CF-Connecting-IP": "198.51.100.200",
      "content-type": "application/json",
      ...(await signRequest(inject("secret"), body)),
    },
    body,
  });
  expect(response.status).toBe(200);
}

/**
 * A running engine container of this tier's stack: its image is AudioEngine's and it was given
 * this run's fixture server (another run may share the dockerd, with containers of its own).
 */
async function ourEngine(): Promise<string | undefined> {
  for (const id of await engineContainers()) {
    const inspected = await execa("docker", ["inspect", "--format", "{{json .Config.Env}}", id], { reject: false });
    if (inspected.exitCode !== 0) continue;
    const env = JSON.parse(inspected.stdout) as string[];
    if (env.some((kv) => kv.startsWith("CLIP_SOURCE_URL_TEMPLATE=") && kv.includes(inject("fixtureUrl")))) return id;
  }
  return undefined;
}

/** A command in the engine container as `node` (the uid the engine switches to), from /app. */
function asNode(command: string[], env: Record<string, string> = {}, input?: Uint8Array) {
  const flags = Object.entries(env).flatMap(([name, value]) => ["-e", `${name}=${value}`]);
  return execa("docker", ["exec", ...(input ? ["-i"] : []), "-u", "node", ...flags, container, ...command], {
    reject: false,
    ...(input ? { input } : {}),
  });
}

/**
 * The engine's CLI with the stand-in release server and, unless `withTestKey` is false, this
 * run's key. No bucket settings: output goes to a folder. PATH starts with the broken pin.
 */
function cli(args: string[], withTestKey = true) {
  return asNode(["node", "container/src/cli.ts", ...args], {
    ENVIRONMENT: "test",
    [RELEASES_URL_VARIABLE]: releases.url,
    ...(withTestKey ? { [TEST_KEY_VARIABLE]: key.armoredPublic } : {}),
    S3_ENDPOINT: "",
    CLOUDFLARE_ACCOUNT_ID: "",
    R2_ACCESS_KEY_ID: "",
    R2_SECRET_ACCESS_KEY: "",
    PATH: `${PIN_DIR}:/usr/local/bin:/usr/bin:/bin`,
  });
}

/** `process <clip>` into the scratch folder, without video, the report as JSON. */
const processArgs = (clip: string) => ["process", clip, "--out", OUT_DIR, "--no-video", "--json"];

/** The build directories in the engine's cache (empty when it has none yet). */
async function cachedBuilds(): Promise<string[]> {
  const listed = await asNode(["sh", "-c", `ls ${BUILDS} 2>/dev/null || true`]);
  return listed.stdout.split("\n").filter(Boolean).sort();
}

beforeAll(async () => {
  [releases, key] = await Promise.all([startReleaseServer(DOCKER_HOST_ADDRESS), testSigningKey()]);
  const zipapp = realZipapp().bytes;
  nightlySha = sha256(zipapp);
  releases.publish(NIGHTLY_REPO, FIXED_NIGHTLY, await signedRelease(zipapp, key));
  container = (await ourEngine()) ?? "";
  if (!container) {
    await processThroughWorker("tone-ctr-channel-start");
    container = (await ourEngine()) ?? "";
  }
  expect(container, "no engine container of this stack is running").not.toBe("");
  // The pinned yt-dlp, replaced for these commands by one whose Twitch support is broken.
  const pin = await asNode(
    ["sh", "-c", `mkdir -p ${PIN_DIR} ${OUT_DIR} && cat > ${PIN_DIR}/yt-dlp && chmod 0755 ${PIN_DIR}/yt-dlp`],
    {},
    twitchBrokenZipapp(PINNED_VERSION).bytes,
  );
  expect(pin.exitCode, pin.stderr).toBe(0);
}, 120_000);

afterAll(async () => {
  if (container) await asNode(["rm", "-rf", scratch]);
  await releases?.close();
});

describe("a yt-dlp channel build in the engine's image, run as the tools' user", () => {
  it("--version: the nightly is fetched, verified and cached by `node` in the engine's WORK_DIR", async () => {
    const version = await cli(["--version", "--yt-dlp-channel", "nightly"]);
    expect(version.exitCode, version.stderr).toBe(0);
    expect(version.stdout).toMatch(
      new RegExp(
        `^yt-dlp ${FIXED_NIGHTLY} \\(\\d+ days old\\), nightly channel, signature verified \\(sha256 ${nightlySha}\\)$`,
        "m",
      ),
    );
    // Fetched from the stand-in on the bridge gateway, by tag, after the redirect of "latest".
    const base = `/${NIGHTLY_REPO}/releases`;
    expect(releases.requests).toEqual(
      expect.arrayContaining([
        `${base}/latest/download/SHA2-256SUMS`,
        `${base}/download/${FIXED_NIGHTLY}/SHA2-256SUMS.sig`,
        `${base}/download/${FIXED_NIGHTLY}/yt-dlp`,
      ]),
    );
    // The cache is the engine's (its WORK_DIR, made after its uid switch), written as `node`.
    const stat = await asNode(["stat", "-c", "%U %a", WORK_DIR, `${BUILDS}/${nightlySha}/yt-dlp`]);
    expect(stat.stdout.split("\n")).toEqual(["node 755", "node 755"]);
    const cachedSha = await asNode(["sha256sum", `${BUILDS}/${nightlySha}/yt-dlp`]);
    expect(cachedSha.stdout.split(" ")[0]).toBe(nightlySha);
  });

  it("processes a clip with the nightly, where the yt-dlp on PATH fails", async () => {
    const pinned = await cli(processArgs("tone-ctr-pin"));
    expect(pinned.exitCode).toBe(1);
    const pinnedReport = JSON.parse(pinned.stdout) as CliReport;
    expect(pinnedReport.clips[0]).toMatchObject({ status: "failed", error: { code: "extractor_outdated" } });

    const clip = "tone-ctr-nightly";
    const healed = await cli([...processArgs(clip), "--yt-dlp-channel", "nightly"]);
    expect(healed.exitCode, healed.stderr).toBe(0);
    expect(healed.stderr).toContain(`running yt-dlp ${FIXED_NIGHTLY}`);
    const report = JSON.parse(healed.stdout) as CliReport;
    expect(report.clips[0]).toMatchObject({ status: "ok", clip_id: clip, error: null });
    // The engine's manifest names the build that read the clip.
    const manifest = await asNode(["cat", `${OUT_DIR}/${keys.manifest(clip)}`]);
    expect(manifest.exitCode, manifest.stderr).toBe(0);
    expect((JSON.parse(manifest.stdout) as Manifest).tools.yt_dlp).toBe(FIXED_NIGHTLY);
    const wav = await asNode(["head", "-c", "4", `${OUT_DIR}/${keys.wav(clip)}`]);
    expect(wav.stdout).toBe("RIFF");
  });

  it("verifies against the image's pinned key when no test key is given: this run's signature is refused", async () => {
    // The image carries container/yt-dlp-public.key: without it this would fail with ENOENT.
    const refused = await cli(["--version", "--yt-dlp-channel", "nightly"], false);
    expect(refused.exitCode).toBe(2);
    expect(refused.stderr).toContain("yt-dlp's nightly build could not be used: SHA2-256SUMS.sig does not verify");
    expect(refused.stderr).not.toContain("ENOENT");
  });

  it("refuses a forged nightly (signed by another key) and caches nothing of it", async () => {
    const before = await cachedBuilds();
    const forger = await testSigningKey("forger");
    // Other bytes than the fixed nightly's, so that a cached copy of it would show.
    const forgedZipapp = twitchBrokenZipapp(FORGED_NIGHTLY).bytes;
    releases.publish(NIGHTLY_REPO, FORGED_NIGHTLY, await signedRelease(forgedZipapp, key, { forgedBy: forger }));
    const asked = releases.requests.length;
    const forged = await cli([...processArgs("tone-ctr-forged"), "--yt-dlp-channel", "nightly"]);
    expect(forged.exitCode).toBe(2);
    expect(forged.stderr).toContain("yt-dlp's nightly build could not be used: SHA2-256SUMS.sig does not verify");
    // Refused on its signature: its zipapp was never downloaded, nothing new is on disk.
    expect(releases.requests.slice(asked)).not.toContain(`/${NIGHTLY_REPO}/releases/download/${FORGED_NIGHTLY}/yt-dlp`);
    expect(await cachedBuilds()).toEqual(before);
    expect(before).toContain(nightlySha);
    expect(before).not.toContain(sha256(forgedZipapp));
    const noOutput = await asNode(["test", "-e", `${OUT_DIR}/${keys.manifest("tone-ctr-forged")}`]);
    expect(noOutput.exitCode).toBe(1);
  });
});
