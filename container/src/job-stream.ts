/**
 * One follower's NDJSON stream of a job: every event in order, a `heartbeat` line whenever
 * nothing else was written for HEARTBEAT_SECONDS (so no idle timeout between the engine and the
 * Worker cuts a quiet stream: a VOD can decode for minutes between events), and `released` when
 * the request's `follow_seconds` pass first. The engine ends the stream itself; the job runs on.
 */
import type { JobEvent, JobStreamLine } from "../../shared/job.ts";
import { HEARTBEAT_SECONDS } from "../../shared/job.ts";

export interface StreamTiming {
  /** Idle time before a heartbeat line (tests shorten it). */
  heartbeatMs?: number | undefined;
  /** When to let the follower go (from the request's follow_seconds); undefined: never. */
  releaseAfterMs?: number | undefined;
}

/** A mailbox of events for one follower: the job's listener pushes, the stream pulls. */
export class EventMailbox {
  readonly #queue: JobEvent[] = [];
  #wake: (() => void) | null = null;
  #closed = false;

  readonly push = (event: JobEvent): void => {
    this.#queue.push(event);
    this.#wake?.();
  };

  /** The follower went away: the stream stops at once (no heartbeats into a closed connection). */
  readonly close = (): void => {
    this.#closed = true;
    this.#wake?.();
  };

  get closed(): boolean {
    return this.#closed;
  }

  /** The events so far, or (once empty) after the next one or `ms`, whichever comes first. */
  async take(ms: number): Promise<JobEvent[]> {
    if (this.#queue.length === 0) {
      let timer: NodeJS.Timeout | undefined;
      await new Promise<void>((resolve) => {
        this.#wake = resolve;
        timer = setTimeout(resolve, ms);
      });
      clearTimeout(timer);
      this.#wake = null;
    }
    return this.#queue.splice(0);
  }
}

/** Writes the follower's lines until the job's final event, the release or the follower's going; returns which. */
export async function pump(
  mailbox: EventMailbox,
  write: (line: JobStreamLine) => Promise<unknown>,
  timing: StreamTiming,
): Promise<"ended" | "released" | "gone"> {
  const heartbeatMs = timing.heartbeatMs ?? HEARTBEAT_SECONDS * 1000;
  const releaseAt = timing.releaseAfterMs === undefined ? Number.POSITIVE_INFINITY : Date.now() + timing.releaseAfterMs;
  for (;;) {
    const wait = Math.max(0, Math.min(heartbeatMs, releaseAt - Date.now()));
    const events = await mailbox.take(wait);
    if (mailbox.closed) return "gone";
    for (const event of events) {
      await write(event);
      if (event.type === "completed" || event.type === "failed") return "ended";
    }
    if (Date.now() >= releaseAt) {
      await write({ type: "released" });
      return "released";
    }
    if (events.length === 0) await write({ type: "heartbeat" });
  }
}
