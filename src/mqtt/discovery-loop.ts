/**
 * Single-consumer mailbox. Producers (MQTT.js callbacks, API calls) only `post`; one consumer runs
 * jobs strictly one at a time. Jobs with the same key coalesce: posting a key that is already
 * waiting replaces the waiting job, so any number of posts while the consumer is busy leads to
 * exactly one more run of that key. A job whose connection generation went stale is abandoned
 * (not an error). The consumer never throws into the producer: every promise is handled.
 */

/** Thrown (or returned via `isStale`) to abandon a job quietly. */
export class StaleJobError extends Error {
  constructor(message = "job abandoned: connection generation changed") {
    super(message);
    this.name = "StaleJobError";
  }
}

export type JobOutcome = "completed" | "abandoned" | "failed" | "dropped";

export interface LoopHooks<J> {
  /** Runs one job. Throw StaleJobError to abandon it. */
  run(job: J): Promise<void>;
  /** Checked before a job starts; a stale job is abandoned without running. */
  isStale(job: J): boolean;
  onError?(job: J, err: unknown): void;
  onAbandon?(job: J, err: unknown): void;
  /** Combines a waiting job with a newer post of the same key; default: the newer job wins. */
  merge?(waiting: J, next: J): J;
  /** Called after each job (any outcome); listener failures are swallowed. */
  onSettled?(job: J, outcome: JobOutcome): void;
}

interface Entry<J> {
  key: string;
  job: J;
  waiters: Array<(o: JobOutcome) => void>;
}

export class DiscoveryLoop<J> {
  private readonly queue: Entry<J>[] = [];
  private running: Entry<J> | null = null;
  private closed = false;
  private idleWaiters: Array<() => void> = [];
  private scheduled = false;

  constructor(private readonly hooks: LoopHooks<J>) {}

  /** Jobs waiting (not counting the one running). */
  get depth(): number {
    return this.queue.length;
  }

  get busy(): boolean {
    return this.running !== null;
  }

  get runningJob(): J | null {
    return this.running?.job ?? null;
  }

  /**
   * Enqueues (or coalesces) a job. Never throws and never runs the job synchronously, so it is safe
   * to call from any callback. The returned promise resolves with the outcome of the run that
   * covers this post; it never rejects.
   */
  post(key: string, job: J): Promise<JobOutcome> {
    return new Promise<JobOutcome>((resolve) => {
      if (this.closed) {
        resolve("dropped");
        return;
      }
      const waiting = this.queue.find((e) => e.key === key);
      if (waiting) {
        let merged = job;
        try {
          if (this.hooks.merge) merged = this.hooks.merge(waiting.job, job);
        } catch {
          merged = job;
        }
        waiting.job = merged;
        waiting.waiters.push(resolve);
      } else {
        this.queue.push({ key, job, waiters: [resolve] });
      }
      this.schedule();
    });
  }

  /** Resolves when nothing is running or waiting. */
  idle(): Promise<void> {
    if (!this.running && this.queue.length === 0) return Promise.resolve();
    return new Promise((r) => this.idleWaiters.push(r));
  }

  /** Drops waiting jobs (their posts resolve "dropped") and refuses new ones. */
  close(): void {
    this.closed = true;
    const dropped = this.queue.splice(0);
    for (const e of dropped) for (const w of e.waiters) w("dropped");
    this.checkIdle();
  }

  private schedule(): void {
    if (this.running || this.scheduled) return;
    this.scheduled = true;
    // Run on a fresh macrotask: the producer's callback has fully returned before work starts.
    setImmediate(() => {
      this.scheduled = false;
      void this.drain();
    });
  }

  private async drain(): Promise<void> {
    if (this.running) return;
    while (this.queue.length > 0) {
      const entry = this.queue.shift()!;
      this.running = entry;
      let outcome: JobOutcome;
      try {
        if (this.hooks.isStale(entry.job)) {
          outcome = "abandoned";
          this.safe(() => this.hooks.onAbandon?.(entry.job, new StaleJobError()));
        } else {
          await this.hooks.run(entry.job);
          outcome = "completed";
        }
      } catch (err) {
        if (err instanceof StaleJobError || this.hooks.isStale(entry.job)) {
          outcome = "abandoned";
          this.safe(() => this.hooks.onAbandon?.(entry.job, err));
        } else {
          outcome = "failed";
          this.safe(() => this.hooks.onError?.(entry.job, err));
        }
      }
      this.running = null;
      this.safe(() => this.hooks.onSettled?.(entry.job, outcome));
      for (const w of entry.waiters) w(outcome);
    }
    this.checkIdle();
  }

  private checkIdle(): void {
    if (this.running || this.queue.length > 0) return;
    const ws = this.idleWaiters.splice(0);
    for (const w of ws) w();
  }

  private safe(fn: () => void): void {
    try {
      fn();
    } catch {
      /* hooks must never break the loop */
    }
  }
}
