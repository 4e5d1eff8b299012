/**
 * The yt-dlp channel's record in the EngineMonitor: which build jobs run (null: the image's
 * pinned release), the last promotion or rollback, and the last build tried. The promoted build
 * lives here, in the one EngineMonitor, because every job's request is built from it
 * (engine.ts): every engine instance, including one started later, runs what this says.
 */

import { z } from "zod";
import {
  type ExtractorBuildStatus,
  type ExtractorChange,
  ExtractorTrial,
} from "../../../shared/extractor-channel-schemas.ts";
import { ExtractorBuild } from "../../../shared/job.ts";
import type { ExtractorStatus } from "../../../shared/schemas.ts";

export const ChannelRecord = z.object({
  /** The promoted build, with when and why; null: the pinned release runs jobs. */
  build: ExtractorBuild.extend({ promoted_at: z.number(), reason: z.string() }).nullable(),
  last_change: z
    .object({ kind: z.enum(["promotion", "rollback"]), at: z.number(), build: ExtractorBuild, reason: z.string() })
    .nullable(),
  last_trial: ExtractorTrial.extend({ at: z.number() }).nullable(),
  /** EXTRACTOR_CHANNEL as the last canary run found it. */
  policy: z.string().nullable(),
  /** Builds rolled back: not promoted again (a newer build of the channel may be). */
  rejected: z.array(z.string()),
});
export type ChannelRecord = z.infer<typeof ChannelRecord>;

export const EMPTY_CHANNEL: ChannelRecord = {
  build: null,
  last_change: null,
  last_trial: null,
  policy: null,
  rejected: [],
};
/** Rolled-back builds remembered: a few, they are only compared with the newest of a channel. */
const MAX_REJECTED = 20;

export function sameBuild(a: ExtractorBuild | null | undefined, b: ExtractorBuild | null | undefined): boolean {
  return !!a && !!b && a.channel === b.channel && a.tag === b.tag && a.sha256 === b.sha256;
}

const identity = (build: ExtractorBuild) => `${build.channel}/${build.tag}/${build.sha256}`;

export function isRejected(record: ChannelRecord, build: ExtractorBuild): boolean {
  return record.rejected.includes(identity(build));
}

export function promoted(record: ChannelRecord, build: ExtractorBuild, reason: string, at: number): ChannelRecord {
  const { channel, tag, sha256 } = build;
  return {
    ...record,
    build: { channel, tag, sha256, promoted_at: at, reason },
    last_change: { kind: "promotion", at, build: { channel, tag, sha256 }, reason },
  };
}

export function rolledBack(record: ChannelRecord, reason: string, at: number): ChannelRecord {
  if (!record.build) return record;
  const { channel, tag, sha256 } = record.build;
  return {
    ...record,
    build: null,
    last_change: { kind: "rollback", at, build: { channel, tag, sha256 }, reason },
    rejected: [...record.rejected, identity(record.build)].slice(-MAX_REJECTED),
  };
}

const iso = (at: number) => new Date(at).toISOString();

/** The record as /health shows it (ExtractorStatus's channel fields). */
export function channelStatus(
  record: ChannelRecord,
): Pick<ExtractorStatus, "channel" | "policy" | "build" | "last_change" | "last_trial"> {
  const build: ExtractorBuildStatus | null = record.build
    ? {
        channel: record.build.channel,
        tag: record.build.tag,
        sha256: record.build.sha256,
        promoted_at: iso(record.build.promoted_at),
        reason: record.build.reason,
      }
    : null;
  const change: ExtractorChange | null = record.last_change
    ? {
        kind: record.last_change.kind,
        at: iso(record.last_change.at),
        channel: record.last_change.build.channel,
        tag: record.last_change.build.tag,
        reason: record.last_change.reason,
      }
    : null;
  const trial: ExtractorTrial | null = record.last_trial
    ? { ...record.last_trial, at: iso(record.last_trial.at) }
    : null;
  return {
    channel: record.build?.channel ?? "pinned",
    ...(record.policy ? { policy: record.policy } : {}),
    build,
    last_change: change,
    last_trial: trial,
  };
}
