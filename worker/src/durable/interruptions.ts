/**
 * What the platform does to a job (a broken stream, an engine that stops) is an interruption,
 * not a failed attempt; these bound how a ClipJob waits through them.
 */

/**
 * Interruptions a job may meet in a row before they count as one failed attempt. A rollout
 * costs at most about 17 (a whole drain, below); more is an engine that keeps dying.
 */
export const MAX_INTERRUPTIONS = 20;
/** The pause before the job is followed again (released, or a broken stream: re-attach). */
export const FOLLOW_AGAIN_DELAY_MS = 1_000;
/** The first pause after an engine refused or cut off the job while stopping; it doubles. */
const RESTART_WAIT_MS = 15_000;
const RESTART_WAIT_MAX_MS = 60_000;

/**
 * The pause before the n-th interruption in a row (1-based) is tried again, when the engine was
 * restarting: 15 s, 30 s, then every minute. A draining engine refuses new jobs for up to
 * DRAIN_SECONDS (14 min) before it exits; a minute apart, the job outlasts that well within
 * MAX_INTERRUPTIONS, where 15 s flat would have spent them in 5 minutes.
 */
export function restartWaitMs(interruption: number): number {
  return Math.min(RESTART_WAIT_MAX_MS, RESTART_WAIT_MS * 2 ** Math.max(0, Math.min(interruption - 1, 8)));
}
