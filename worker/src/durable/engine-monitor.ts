/**
 * What the Worker last learned about the engine, so `/health` can say it without starting a
 * container: the tool versions and whether yt-dlp can still read Twitch. Fed by every clip job's
 * final event and by the scheduled canary; read by `/health`. One instance ("engine"): it is
 * written once per finished job and read only by health checks, never on the request path.
 */
import { DurableObject } from "cloudflare:workers";
import { z } from "zod";
import type { ErrorCode } from "../../../shared/errors.ts";
import { EngineTools, type ExtractorBuild, type FinalJobEvent } from "../../../shared/job.ts";
import type { ExtractorStatus } from "../../../shared/schemas.ts";
import { staleYtDlpWarning, ytDlpAgeDays } from "../../../shared/ytdlp-age.ts";
import { runCanary } from "../canary.ts";
import { log } from "../log.ts";
import { ChannelRecord, channelStatus, EMPTY_CHANNEL, promoted, rolledBack } from "./extractor-channel-state.ts";
import { migrate } from "./migrations.ts";

export interface EngineObservation {
  at: number;
  /** null when the job succeeded. */
  error_code: ErrorCode | null;
  error: string | null;
  tools: EngineTools | null;
  /** False for a clip skipped because it was already processed: yt-dlp did not run. */
  ran_extractor: boolean;
  /** The clip of a real job (absent for the canary): an outdated one is retried after a promotion. */
  clip_id?: string;
}

/** What the canary and the channel use of the monitor: a stub's methods, or the object's own in its alarm. */
export type EngineMonitorApi = Pick<
  EngineMonitor,
  | "observe"
  | "channel"
  | "promote"
  | "rollBack"
  | "recordTrial"
  | "recordPolicy"
  | "takeOutdatedClips"
  | "lastOutdatedClip"
>;

/** The one EngineMonitor, through its stub. */
export function engineMonitor(env: Env): EngineMonitorApi {
  return env.ENGINE_MONITOR.get(env.ENGINE_MONITOR.idFromName(ENGINE_MONITOR_NAME)) as unknown as EngineMonitorApi;
}

/** Real jobs failing as outdated start a canary run (alarm) at most this often: the canary's own period is 30 min. */
const JOB_TEND_COOLDOWN_MS = 10 * 60_000;
/** The canary runs this long after the first outdated job: its fellow clips' failures land first. */
const JOB_TEND_DELAY_MS = 5_000;
/** Outdated clips remembered for their retry after a promotion. */
const MAX_OUTDATED_CLIPS = 500;

/** The one instance's name. */
export const ENGINE_MONITOR_NAME = "engine";

/** What a job's final event tells about the engine. */
export function engineObservation(final: FinalJobEvent, at = Date.now()): EngineObservation {
  const failed = final.type === "failed";
  return {
    at,
    error_code: failed ? final.error.code : null,
    error: failed ? final.error.message : null,
    tools: final.tools ?? null,
    ran_extractor: failed || !final.result.skipped,
  };
}

/** Everything the monitor stores: one record under one key, validated on read. */
const MonitorRecord = z.object({
  extractor: z
    .object({
      state: z.enum(["ok", "outdated"]),
      since: z.number(),
      checked_at: z.number(),
      last_error: z.string().nullable(),
    })
    .nullable(),
  tools: EngineTools.extend({ seen_at: z.number() }).nullable(),
  /** The yt-dlp channel: the build every job request names (engine.ts). */
  channel: ChannelRecord,
  /** Clips that failed as outdated, retried after a promotion; when a canary run was last asked for. */
  outdated: z.object({ clips: z.array(z.string()), tend_requested_at: z.number().nullable() }),
});
type MonitorRecord = z.infer<typeof MonitorRecord>;

export const MONITOR_RECORD_KEY = "monitor";
const EMPTY: MonitorRecord = {
  extractor: null,
  tools: null,
  channel: EMPTY_CHANNEL,
  outdated: { clips: [], tend_requested_at: null },
};

export class EngineMonitor extends DurableObject<Env> {
  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env);
    // No steps yet: the record's first shape needs none; a change of its shape adds one.
    migrate(ctx.storage, []);
  }

  async observe(observation: EngineObservation): Promise<void> {
    const stored = this.#load();
    if (observation.tools) stored.tools = { ...observation.tools, seen_at: observation.at };
    const verdict = observation.ran_extractor ? extractorVerdict(observation.error_code) : null;
    if (verdict) {
      const previous = stored.extractor;
      stored.extractor = {
        state: verdict,
        since: previous?.state === verdict ? previous.since : observation.at,
        checked_at: observation.at,
        last_error: verdict === "outdated" ? observation.error : null,
      };
    }
    this.#save(stored);
    if (observation.clip_id && verdict === "outdated") await this.#outdatedJob(observation.clip_id, observation.at);
  }

  /**
   * A real job found yt-dlp outdated: its clip is retried after a promotion, and the canary (which
   * tends the channel) runs now rather than at its next period, once per cooldown.
   */
  async #outdatedJob(clipId: string, at: number): Promise<void> {
    const stored = this.#load();
    const jobs = stored.outdated;
    if (!jobs.clips.includes(clipId)) jobs.clips = [...jobs.clips, clipId].slice(-MAX_OUTDATED_CLIPS);
    if (jobs.tend_requested_at === null || at - jobs.tend_requested_at >= JOB_TEND_COOLDOWN_MS) {
      jobs.tend_requested_at = at;
      await this.ctx.storage.setAlarm(Date.now() + JOB_TEND_DELAY_MS);
    }
    this.#save(stored);
  }

  /**
   * The clip a real job most recently found yt-dlp outdated on, while it waits for its retry: the
   * canary's clip when CANARY_CLIP_ID is not set (a caller's clip is public, and is the very
   * thing to heal). Null once a promotion took the clips for their retry.
   */
  async lastOutdatedClip(): Promise<string | null> {
    return this.#load().outdated.clips.at(-1) ?? null;
  }

  /** The clips that failed as outdated since the last promotion; forgotten once taken. */
  async takeOutdatedClips(): Promise<string[]> {
    const stored = this.#load();
    const { clips } = stored.outdated;
    if (clips.length > 0) this.#save({ ...stored, outdated: { ...stored.outdated, clips: [] } });
    return clips;
  }

  /** Real jobs reported yt-dlp outdated: the canary runs now, with this object as its monitor. */
  override async alarm(): Promise<void> {
    const outcome = await runCanary(this.env, this);
    log(outcome.ran ? "info" : "warn", {
      msg: "canary run for jobs that found yt-dlp outdated",
      ...(outcome.ran ? { error_code: outcome.observation.error_code } : { reason: outcome.reason }),
    });
  }

  /** The yt-dlp channel's record: the promoted build every job request names (engine.ts). */
  async channel(): Promise<ChannelRecord> {
    return this.#load().channel;
  }

  /** Makes `build` the one every new job runs, with why (extractor-channel.ts, after its canary passed). */
  async promote(build: ExtractorBuild, reason: string, at = Date.now()): Promise<ChannelRecord> {
    return this.#updateChannel((record) => promoted(record, build, reason, at));
  }

  /** Back to the pinned release; the build is not promoted again. */
  async rollBack(reason: string, at = Date.now()): Promise<ChannelRecord> {
    return this.#updateChannel((record) => rolledBack(record, reason, at));
  }

  async recordPolicy(policy: string): Promise<void> {
    await this.#updateChannel((record) => ({ ...record, policy }));
  }

  async recordTrial(trial: NonNullable<ChannelRecord["last_trial"]>, policy: string): Promise<void> {
    await this.#updateChannel((record) => ({ ...record, last_trial: trial, policy }));
  }

  async #updateChannel(change: (record: ChannelRecord) => ChannelRecord): Promise<ChannelRecord> {
    const stored = this.#load();
    const next = change(stored.channel);
    this.#save({ ...stored, channel: next });
    return next;
  }

  async status(now = new Date()): Promise<{ extractor: ExtractorStatus; tools: MonitorRecord["tools"] }> {
    const stored = this.#load();
    const { extractor, tools } = stored;
    const channel = channelStatus(stored.channel);
    const ytDlp = tools?.yt_dlp ?? null;
    const version = {
      yt_dlp: ytDlp,
      yt_dlp_age_days: ytDlpAgeDays(ytDlp, now),
      yt_dlp_warning: ytDlp ? staleYtDlpWarning(ytDlp, now) : null,
    };
    if (!extractor) {
      const unknown = {
        state: "unknown",
        summary: "unknown",
        since: null,
        checked_at: null,
        last_error: null,
      } as const;
      return { tools, extractor: { ...unknown, ...version, ...channel } };
    }
    const since = new Date(extractor.since).toISOString();
    return {
      tools,
      extractor: {
        state: extractor.state,
        summary: extractor.state === "ok" ? "ok" : `outdated since ${since} (yt-dlp ${ytDlp ?? "version unknown"})`,
        since,
        ...version,
        checked_at: new Date(extractor.checked_at).toISOString(),
        last_error: extractor.last_error,
        ...channel,
      },
    };
  }

  #load(): MonitorRecord {
    const stored = this.ctx.storage.kv.get(MONITOR_RECORD_KEY);
    return stored === undefined ? structuredClone(EMPTY) : MonitorRecord.parse(stored);
  }

  #save(record: MonitorRecord): void {
    this.ctx.storage.kv.put(MONITOR_RECORD_KEY, record);
  }
}

/**
 * A success proves the extractor works and `extractor_outdated` that it does not; any other
 * failure (a deleted clip, the network, our storage) proves nothing either way.
 */
function extractorVerdict(code: ErrorCode | null): "ok" | "outdated" | null {
  if (code === null) return "ok";
  return code === "extractor_outdated" ? "outdated" : null;
}
