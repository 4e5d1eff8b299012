/**
 * A clip job's states and the moves between them: the one definition the ClipJob Durable Object
 * enforces and every reader (the status route, the console) consults.
 *
 *   (none) → queued → downloading ⇄ extracting ⇄ uploading → completed | failed
 *
 * Any working state may go to any other: a job restarted on a new engine instance starts over
 * at `downloading`, a retry goes back to `queued`. A finished job moves only to `queued` (new
 * work: a forced re-run, a retry after a yt-dlp promotion), or is finished again with the same
 * result (a run and an alarm that shared one attempt both settle it).
 */
import { z } from "zod";
import { JobStage } from "./job.ts";
import type { ClipState } from "./schemas.ts";

export const ACTIVE_STATES = ["queued", ...JobStage.options] as const;
export const FINISHED_STATES = ["completed", "failed"] as const;

/** A clip job's state: ClipState without `not_found`, which only says there is no job. */
export const JobState = z.enum([...ACTIVE_STATES, ...FINISHED_STATES]);
export type JobState = z.infer<typeof JobState>;
// Every job state is a state of the contract's ClipState.
JobState.options satisfies readonly ClipState[];

/** Where no work goes on (nothing more to watch): a finished job, or none. */
export const RESTING_STATES: readonly ClipState[] = [...FINISHED_STATES, "not_found"];

export function isActive(state: ClipState): boolean {
  return (ACTIVE_STATES as readonly ClipState[]).includes(state);
}

export function isFinished(state: ClipState): boolean {
  return (FINISHED_STATES as readonly ClipState[]).includes(state);
}

/** Whether a job in `from` (null: no job yet, or forgotten) may move to `to`. */
export function canTransition(from: JobState | null, to: JobState): boolean {
  if (from === null) return to === "queued";
  if (isActive(from)) return true;
  return to === "queued" || to === from;
}
