/**
 * Event retention: events older than EVENT_RETENTION_DAYS are deleted once a day, in batches of
 * `batchSize` rows (one short transaction each) with a macrotask yield between batches, so API
 * requests interleave with a large purge instead of waiting behind one long delete.
 */
import { setImmediate as yieldToLoop } from "node:timers/promises";
import type { Log } from "../log.js";
import type { Store } from "../store/store.js";

const DAY_MS = 86_400_000;

export interface RetentionOptions {
  store: Store;
  log: Log;
  retentionDays: number;
  batchSize?: number;
  /** First run after start (default 60 s), then every `intervalMs` (default a day). */
  firstRunMs?: number;
  intervalMs?: number;
}

export class Retention {
  private timer: NodeJS.Timeout | null = null;
  private running: Promise<number> | null = null;
  private stopped = false;

  constructor(private readonly o: RetentionOptions) {}

  start(): void {
    const first = setTimeout(() => {
      void this.runOnce();
      this.timer = setInterval(() => void this.runOnce(), this.o.intervalMs ?? DAY_MS);
      this.timer.unref();
    }, this.o.firstRunMs ?? 60_000);
    first.unref();
    this.timer = first;
  }

  stop(): void {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer); // clears an interval too
  }

  /** Purges now; resolves with the number of events deleted. A run in progress is joined. */
  runOnce(now = Date.now()): Promise<number> {
    this.running ??= this.purge(now - this.o.retentionDays * DAY_MS).finally(() => (this.running = null));
    return this.running;
  }

  private async purge(before: number): Promise<number> {
    const batch = this.o.batchSize ?? 1000;
    let total = 0;
    try {
      for (;;) {
        if (this.stopped || !this.o.store.db.open) break;
        const n = this.o.store.events.purgeBatch(before, batch);
        total += n;
        if (n < batch) break;
        await yieldToLoop();
      }
      if (total > 0) this.o.log.info({ deleted: total, before: new Date(before).toISOString() }, "old events purged");
    } catch (err) {
      this.o.log.error({ err }, "event retention failed");
    }
    return total;
  }
}
