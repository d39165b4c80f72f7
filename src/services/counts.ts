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
