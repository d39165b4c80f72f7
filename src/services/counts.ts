/**
 * Event counts per camera: "today" from local midnight and "this week" from Monday 00:00, both in
 * TIME_ZONE. One indexed range scan on (camera_id, ts) per camera: the cost grows with the events
 * of the current week of that camera, not with the table, so it stays inline on the main thread
 * (a worker would need its own database connection, which the store design rules out).
 */
import type { ZonedClock } from "../ha/time.js";
import type { Store } from "../store/store.js";

export interface Counts {
  today: number;
  week: number;
}

export function countEvents(store: Store, clock: ZonedClock, cameraId: string, now: Date): Counts {
  const { startOfToday, startOfWeek } = clock.countWindows(now);
  return store.events.counts(cameraId, startOfToday.getTime(), startOfWeek.getTime());
}

/**
 * Per-camera counts kept in memory so a new event does not need the (camera_id, ts) range scan:
 * seeded from the store on a camera's first event of the day (or after a refresh), then advanced
 * by one per committed event. Every full counts refresh rebuilds it from the store, and a new day
 * (a different count window) empties it.
 *
 * Callers read with `next()` INSIDE the event's transaction and `commit()` either after that
 * transaction committed or, when several events share one transaction (group commit), inside it
 * right after the event's savepoint, emptying the cache with `clear()` if that transaction then
 * fails; either way a rolled-back event never stays counted.
 *
 * Only safe while nothing but new events changes the current week's rows: callers disable it
 * (pass `enabled = false`) when retention can purge events younger than a week
 * (EVENT_RETENTION_DAYS < 8); deleting a camera must call `forget`.
 */
export class CountsCache {
  private windowStart = Number.NaN;
  private readonly map = new Map<string, Counts>();

  constructor(
    private readonly store: Store,
    private readonly clock: ZonedClock,
    private readonly enabled = true,
  ) {}

  /**
   * The counts of `cameraId` including an event at `ts` that the current transaction has ALREADY
   * inserted. Nothing is stored: pass the result to `commit` after the commit.
   */
  next(cameraId: string, ts: number, now: Date): Counts {
    const { startOfToday, startOfWeek } = this.clock.countWindows(now);
    const today = startOfToday.getTime();
    const week = startOfWeek.getTime();
    if (this.enabled && today === this.windowStart) {
      const c = this.map.get(cameraId);
      if (c) return { today: c.today + (ts >= today ? 1 : 0), week: c.week + (ts >= week ? 1 : 0) };
    }
    // Not cached: the store's count already includes the event inserted in this transaction.
    return this.store.events.counts(cameraId, today, week);
  }

  /** After the transaction that produced `counts` (from `next`, at `now`) committed. */
  commit(cameraId: string, counts: Counts, now: Date): void {
    if (!this.enabled) return;
    this.set(cameraId, counts, this.clock.countWindows(now).startOfToday.getTime());
  }

  /** Counts read from the store for the window starting at `startOfToday` (a refresh), after its commit. */
  set(cameraId: string, counts: Counts, startOfToday: number): void {
    if (!this.enabled || startOfToday < this.windowStart) return; // stale: read before midnight
    if (startOfToday !== this.windowStart) {
      // A new day: every cached value belongs to the old windows.
      this.map.clear();
      this.windowStart = startOfToday;
    }
    this.map.set(cameraId, { today: counts.today, week: counts.week });
  }

  /** The cached counts of `cameraId` for the window starting at `startOfToday`, if known. */
  peek(cameraId: string, startOfToday: number): Counts | undefined {
    return this.enabled && startOfToday === this.windowStart ? this.map.get(cameraId) : undefined;
  }

  forget(cameraId: string): void {
    this.map.delete(cameraId);
  }

  clear(): void {
    this.map.clear();
  }
}
