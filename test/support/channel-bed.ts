/**
 * "Twitch breaks yt-dlp; a fixed nightly exists", on this machine: an engine process whose
 * pinned yt-dlp is the Twitch-broken stand-in (like 2026.08.19 on clips), and a stand-in of
 * GitHub's release downloads whose channels hold, all signed with a key made for the run:
 *   stable   2026.08.19          the broken stand-in (the newest stable, as today)
 *   nightly  FIXED_NIGHTLY       a real yt-dlp zipapp (Debian's), which reads the fixture clips
 *            BROKEN_NIGHTLY      an older nightly, broken like the pin (for rollbacks)
 *            FORGED_NIGHTLY      the real zipapp, its checksums signed by another key
 *            LATER_FIXED_NIGHTLY the real zipapp again, a later tag
 * Tests move a channel's "latest" with `POST <releases>/_control/latest {repo, tag}`.
 */
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { RELEASES_URL_VARIABLE } from "../../container/src/ytdlp-channel/releases.ts";
import { TEST_KEY_VARIABLE } from "../../container/src/ytdlp-channel/signature.ts";
import {
  BROKEN_NIGHTLY,
  FIXED_NIGHTLY,
  FORGED_NIGHTLY,
  LATER_FIXED_NIGHTLY,
  NIGHTLY_REPO,
  PINNED_VERSION,
  STABLE_REPO,
} from "./channel-tags.ts";
import { type EngineProcess, startEngineProcess } from "./engine-process.ts";
import { type ReleaseServer, signedRelease, startReleaseServer, testSigningKey } from "./release-server.ts";
import { pinDirectory, realZipapp, twitchBrokenZipapp } from "./ytdlp-builds.ts";

export interface ChannelBed {
  releases: ReleaseServer;
  /** What points another engine at these releases and their key (test-only settings). */
  releaseEnv: Record<string, string>;
  engine: EngineProcess;
  close(): Promise<void>;
}

/** The release server and the engine with the broken pin; `engineEnv` is the usual engine settings. */
export async function startChannelBed(engineEnv: Record<string, string>): Promise<ChannelBed> {
  const [releases, key, forger] = await Promise.all([startReleaseServer(), testSigningKey(), testSigningKey("forger")]);
  const fixed = realZipapp().bytes;
  const broken = twitchBrokenZipapp(PINNED_VERSION);
  const brokenNightly = twitchBrokenZipapp(BROKEN_NIGHTLY).bytes;
  releases.publish(STABLE_REPO, PINNED_VERSION, await signedRelease(broken.bytes, key));
  releases.publish(NIGHTLY_REPO, BROKEN_NIGHTLY, await signedRelease(brokenNightly, key));
  releases.publish(NIGHTLY_REPO, FORGED_NIGHTLY, await signedRelease(fixed, key, { forgedBy: forger }));
  releases.publish(NIGHTLY_REPO, FIXED_NIGHTLY, await signedRelease(fixed, key));
  releases.publish(NIGHTLY_REPO, LATER_FIXED_NIGHTLY, await signedRelease(fixed, key));
  const releaseEnv = { [RELEASES_URL_VARIABLE]: releases.url, [TEST_KEY_VARIABLE]: key.armoredPublic };
  const engine = await startEngineProcess({
    ...engineEnv,
    ...releaseEnv,
    PATH: `${pinDirectory(broken.path)}:${process.env.PATH}`,
    WORK_DIR: mkdtempSync(join(tmpdir(), "channel-engine-")),
  });
  return {
    releases,
    releaseEnv,
    engine,
    close: async () => {
      await engine.stop();
      await releases.close();
    },
  };
}
