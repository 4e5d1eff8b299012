/**
 * "Twitch breaks yt-dlp; a fixed nightly exists", in workerd with real processes: the engine's
 * pinned yt-dlp is the Twitch-broken stand-in, a stand-in of GitHub's release downloads holds a
 * fixed nightly (a real yt-dlp zipapp) signed with this run's key (test/support/channel-bed.ts).
 * The scheduled canary alone takes the service from `extractor_outdated` to clips succeeding,
 * in one run, and /health tells the story; a promoted build that then fails is rolled back; a
 * build whose signature is forged is never promoted; EXTRACTOR_CHANNEL=pinned undoes it all.
 */
import { createScheduledController, runDurableObjectAlarm, runInDurableObject } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { describe, expect, inject, it } from "vitest";
import type { ExtractorBuild } from "../../shared/job.ts";
import type { Health } from "../../shared/schemas.ts";
import {
  BROKEN_NIGHTLY,
  FIXED_NIGHTLY,
  FORGED_NIGHTLY,
  LATER_FIXED_NIGHTLY,
  NIGHTLY_REPO,
  PINNED_VERSION,
} from "../../test/support/channel-tags.ts";
import { loadConfig } from "../src/config.ts";
import { ChannelFacts } from "../src/console/channel.tsx";
import { type ClipJobRecord, RECORD_KEY } from "../src/durable/clip-job-state.ts";
import { MONITOR_RECORD_KEY } from "../src/durable/engine-monitor.ts";
import { runEngineJob } from "../src/engine.ts";
import worker from "../src/index.ts";
import { call, json } from "./helpers.ts";

const releases = inject("releasesUrl");
const monitor = () => env.ENGINE_MONITOR.get(env.ENGINE_MONITOR.idFromName("engine"));
const health = async () => (await json<Health>(await call("/health", { sign: false }))).extractor;
/** The Worker's settings with the channel engine and a canary clip; `policy` is EXTRACTOR_CHANNEL. */
const channelEnv = (policy: string) => ({
  ...env,
  CONTAINER_URL: inject("channelEngineUrl"),
  CANARY_CLIP_ID: "tone-heal",
  EXTRACTOR_CHANNEL: policy,
});

async function latestNightly(tag: string): Promise<void> {
  const body = JSON.stringify({ repo: NIGHTLY_REPO, tag });
  expect((await fetch(`${releases}/_control/latest`, { method: "POST", body })).status).toBe(204);
}

/** The scheduled handler, as the cron trigger calls it: one canary period. */
async function canaryPeriod(policy = "auto"): Promise<void> {
  await worker.scheduled(createScheduledController({ cron: "*/30 * * * *" }), channelEnv(policy));
}

/** A clip job as a ClipJob runs it (runEngineJob), on the channel engine. */
async function clipJob(clipId: string) {
  const jobEnv = channelEnv("auto");
  const loaded = loadConfig(jobEnv);
  if (!loaded.ok) throw new Error(loaded.problem);
  const outcome = await runEngineJob(jobEnv, loaded.config, { clip_id: clipId, force: true }, () => undefined);
  if (outcome.kind !== "ended") throw new Error(`the job did not end: ${JSON.stringify(outcome)}`);
  return outcome.event;
}

const clipJobObject = (clipId: string) => env.CLIP_JOBS.get(env.CLIP_JOBS.idFromName(clipId));
const OUTDATED = "yt-dlp could not read Twitch's answer: its Twitch support is out of date";
const outdatedObservation = {
  error_code: "extractor_outdated" as const,
  error: OUTDATED,
  tools: { ffmpeg: "5.1", yt_dlp: PINNED_VERSION, yt_dlp_build: null },
  ran_extractor: true,
};
/** A ClipJob's record after its clip failed as outdated: its work waits for a promotion. */
const outdatedClip = (clipId: string): ClipJobRecord => ({
  clip_id: clipId,
  state: {
    clip_id: clipId,
    state: "failed",
    progress: null,
    error: OUTDATED,
    error_code: "extractor_outdated",
    result: null,
    attempts: 1,
    retry_at: null,
    last_error: null,
    interruptions: 0,
    updated_at: new Date().toISOString(),
  },
  pending: null,
  following: false,
  outdated_work: { force: false, taskIds: [], callbackUrls: [] },
});

/** The monitor's outdated clips and canary request, as stored. */
const outdatedJobs = (state: DurableObjectState) =>
  (state.storage.kv.get(MONITOR_RECORD_KEY) as { outdated?: unknown } | undefined)?.outdated;

/** Forgets the monitor's outdated clips and its last canary request (past its cooldown). */
function clearOutdatedJobs(state: DurableObjectState): void {
  const record = state.storage.kv.get(MONITOR_RECORD_KEY) as object | undefined;
  if (record) state.storage.kv.put(MONITOR_RECORD_KEY, { ...record, outdated: { clips: [], tend_requested_at: null } });
}

/** A nightly's build as its (signed) SHA2-256SUMS names it. */
async function nightlyBuild(tag: string): Promise<ExtractorBuild> {
  const response = await fetch(`${releases}/${NIGHTLY_REPO}/releases/download/${tag}/SHA2-256SUMS`);
  const sums = new TextDecoder().decode(await response.arrayBuffer());
  const sha256 = /^([0-9a-f]{64}) {2}yt-dlp$/m.exec(sums)?.[1] ?? "";
  return { channel: "nightly", tag, sha256 };
}

describe("yt-dlp channel, gated by the canary", () => {
  it("Twitch breaks yt-dlp; a fixed nightly exists: healed within one canary period, no redeploy", async () => {
    await latestNightly(FIXED_NIGHTLY);
    const before = await clipJob("tone-heal-before");
    expect(before).toMatchObject({ type: "failed", error: { code: "extractor_outdated" } });
    expect(before.tools).toMatchObject({ yt_dlp: PINNED_VERSION, yt_dlp_build: null });

    // A caller's clip failed as outdated meanwhile (its ClipJob's state, seeded: the engine
    // behind ClipJobs reads the fixtures fine), and the monitor heard of it from the job.
    await runInDurableObject(clipJobObject("tone-heal-retry"), (_object, state) => {
      state.storage.kv.put(RECORD_KEY, outdatedClip("tone-heal-retry"));
    });
    await monitor().observe({ ...outdatedObservation, at: Date.now(), clip_id: "tone-heal-retry" });

    const brokenAt = Date.now();
    await canaryPeriod();
    // Retried once after the promotion, by its ClipJob's alarm: it succeeds.
    await expect
      .poll(async () => (await clipJobObject("tone-heal-retry").getState())?.state, { timeout: 20_000 })
      .toBe("completed");

    const after = await clipJob("tone-heal-after");
    expect(after).toMatchObject({ type: "completed", tools: { yt_dlp: FIXED_NIGHTLY } });
    expect(after.tools?.yt_dlp_build).toEqual(await nightlyBuild(FIXED_NIGHTLY));
    // /health: healthy since the promotion, on the nightly, and why.
    const status = await health();
    expect(status).toMatchObject({
      state: "ok",
      yt_dlp: FIXED_NIGHTLY,
      channel: "nightly",
      build: { channel: "nightly", tag: FIXED_NIGHTLY },
      last_change: {
        kind: "promotion",
        channel: "nightly",
        tag: FIXED_NIGHTLY,
        reason: `the canary failed with extractor_outdated on the pinned yt-dlp ${PINNED_VERSION} and passed on nightly ${FIXED_NIGHTLY}`,
      },
      last_trial: { channel: "nightly", tag: FIXED_NIGHTLY, outcome: "passed" },
    });
    expect(Date.parse(status.since ?? "")).toBeGreaterThanOrEqual(brokenAt);
    expect(status.yt_dlp_age_days).toEqual(expect.any(Number));
    // The console's health panel says the same.
    const panel = String(await ChannelFacts({ extractor: status }).toString());
    expect(panel).toContain(`nightly ${FIXED_NIGHTLY}, promoted ${status.build?.promoted_at}: the canary failed`);
    expect(panel).toContain("Last promotion");
  });

  it("a forged nightly is refused and never promoted; the promoted build keeps serving", async () => {
    await latestNightly(FORGED_NIGHTLY);
    await canaryPeriod("nightly");
    expect(await health()).toMatchObject({
      state: "ok",
      build: { tag: FIXED_NIGHTLY },
      last_trial: {
        channel: "nightly",
        tag: null,
        outcome: "refused",
        detail: expect.stringContaining("does not verify"),
      },
    });
    expect((await monitor().channel()).build?.tag).toBe(FIXED_NIGHTLY);
  });

  it("rolls back a promoted build the canary fails on, and promotes the next fix when it appears", async () => {
    // Twitch changed again: the build promoted earlier (here a nightly broken like the pin) now fails.
    await monitor().promote(await nightlyBuild(BROKEN_NIGHTLY), "passed the canary last week");
    await latestNightly(BROKEN_NIGHTLY);
    await canaryPeriod();
    let status = await health();
    expect(status).toMatchObject({
      state: "outdated",
      channel: "pinned",
      build: null,
      last_change: { kind: "rollback", tag: BROKEN_NIGHTLY, reason: expect.stringContaining("extractor_outdated") },
      last_trial: { tag: BROKEN_NIGHTLY, outcome: "failed", detail: "rolled back earlier" },
    });
    expect(await clipJob("tone-heal-rolled")).toMatchObject({ tools: { yt_dlp: PINNED_VERSION, yt_dlp_build: null } });

    await latestNightly(FIXED_NIGHTLY);
    await canaryPeriod();
    status = await health();
    expect(status).toMatchObject({
      state: "ok",
      channel: "nightly",
      last_change: { kind: "promotion", tag: FIXED_NIGHTLY },
    });
  });

  it("real jobs that find yt-dlp outdated start a canary run at once, at most once per cooldown", async () => {
    const stub = monitor();
    // The first test's outdated job asked for a canary run already: start past its cooldown.
    await runInDurableObject(stub, (_object, state) => clearOutdatedJobs(state));
    const at = Date.now();
    await stub.observe({ ...outdatedObservation, at, clip_id: "tone-jobs-a" });
    await stub.observe({ ...outdatedObservation, at: at + 1_000, clip_id: "tone-jobs-b" });
    const jobs = await runInDurableObject(stub, (_object, state) => outdatedJobs(state));
    // Both clips wait for their retry; one canary run was asked for, not two.
    expect(jobs).toEqual({ clips: expect.arrayContaining(["tone-jobs-a", "tone-jobs-b"]), tend_requested_at: at });
    const alarm = await runInDurableObject(stub, (_object, state) => state.storage.getAlarm());
    expect(alarm).toBeGreaterThan(at);
    expect(alarm).toBeLessThanOrEqual(Date.now() + 5_000);
    // The alarm runs the canary with the object itself as its monitor (here the Worker's own
    // settings have no CANARY_CLIP_ID, so it only says so); within the cooldown no second one.
    expect(await runDurableObjectAlarm(stub)).toBe(true);
    expect(await runInDurableObject(stub, (_object, state) => state.storage.getAlarm())).toBeNull();
    await stub.observe({ ...outdatedObservation, at: at + 2_000, clip_id: "tone-jobs-c" });
    expect(await runInDurableObject(stub, (_object, state) => state.storage.getAlarm())).toBeNull();
    expect(await stub.takeOutdatedClips()).toEqual(
      expect.arrayContaining(["tone-jobs-a", "tone-jobs-b", "tone-jobs-c"]),
    );
    expect(await stub.takeOutdatedClips()).toEqual([]);
  });

  it("EXTRACTOR_CHANNEL=pinned rolls the promotion back: jobs run the image's release again", async () => {
    await canaryPeriod("pinned");
    expect(await health()).toMatchObject({
      channel: "pinned",
      policy: "pinned",
      build: null,
      last_change: {
        kind: "rollback",
        tag: FIXED_NIGHTLY,
        reason: expect.stringContaining("EXTRACTOR_CHANNEL=pinned"),
      },
    });
    expect(await clipJob("tone-heal-pinned")).toMatchObject({
      type: "failed",
      tools: { yt_dlp: PINNED_VERSION, yt_dlp_build: null },
    });
  });

  it("heals without CANARY_CLIP_ID: the canary runs on the clip a real job found outdated", async () => {
    // After the pinned test the jobs run the broken pin again; a fixed nightly is newer still.
    await latestNightly(LATER_FIXED_NIGHTLY);
    const stub = monitor();
    await runInDurableObject(stub, (_object, state) => clearOutdatedJobs(state));
    await runInDurableObject(clipJobObject("tone-heal-noclip"), (_object, state) => {
      state.storage.kv.put(RECORD_KEY, outdatedClip("tone-heal-noclip"));
    });
    await stub.observe({ ...outdatedObservation, at: Date.now(), clip_id: "tone-heal-noclip" });
    await worker.scheduled(createScheduledController({ cron: "*/30 * * * *" }), {
      ...channelEnv("auto"),
      CANARY_CLIP_ID: "",
    });
    expect(await health()).toMatchObject({
      state: "ok",
      build: { channel: "nightly", tag: LATER_FIXED_NIGHTLY },
      last_change: { kind: "promotion", tag: LATER_FIXED_NIGHTLY },
    });
    await expect
      .poll(async () => (await clipJobObject("tone-heal-noclip").getState())?.state, { timeout: 20_000 })
      .toBe("completed");
    // Its clip taken for the retry, the canary has nothing to run on until a job fails again.
    expect(await stub.lastOutdatedClip()).toBeNull();
  });
});
