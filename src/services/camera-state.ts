/**
 * The retained per-camera state topics: status, last_event, counts, activity. Payloads come from
 * the pure builders in src/ha; every time stamp in them is ISO 8601 with the TIME_ZONE offset.
 *
 * - status: set by POST /cameras/{id}/status, kept in the store (camera_status) and published with
 *   publishState. A camera that never reported is "unavailable" (the contract's value for an
 *   unknown runtime state); after a restart the last report stands.
 * - last_event, counts, activity: written to the outbox (in the event's transaction), so their
 *   order on the broker always matches the order they happened in.
 */
import type { Camera, CameraRuntimeState, CameraStatus } from "../domain/camera.js";
import type { CameraEvent } from "../domain/event.js";
import { eventPayload } from "../ha/event-payload.js";
import { activityPayload, countsPayload, lastEventPayload, mapRuntimeState, statusPayload } from "../ha/state-payloads.js";
import type { ZonedClock } from "../ha/time.js";
import { cameraStateTopics } from "../ha/topics.js";
import type { StateMessage } from "../mqtt/contract.js";
import type { NewOutboxEntry } from "../store/outbox-repo.js";
import type { Store } from "../store/store.js";
import { countEvents, type Counts } from "./counts.js";

export const DEFAULT_STATUS: CameraStatus = "unavailable";

/** Builds payloads with TIME_ZONE offsets (the builders take instants; the strings are ours). */
export class StatePayloads {
  constructor(
    readonly clock: ZonedClock,
    private readonly apiBaseUrl: string,
  ) {}

  /** The event as published: its timestamp re-expressed in TIME_ZONE. */
  localEvent(event: CameraEvent): CameraEvent {
    return { ...event, timestamp: this.clock.isoWithOffset(new Date(event.timestamp)) };
  }

  event(event: CameraEvent, camera: Camera): string {
    return JSON.stringify(eventPayload(this.localEvent(event), camera, this.apiBaseUrl));
  }

  lastEvent(event: CameraEvent, camera: Camera): string {
    return JSON.stringify(lastEventPayload(camera, this.localEvent(event)));
  }

  counts(camera: Camera, counts: Counts, at: Date): string {
    return JSON.stringify(countsPayload(camera, counts, this.clock.isoWithOffset(at)));
  }

  activity(cameraId: string, on: boolean, lastEvent: CameraEvent | null): string {
    return JSON.stringify(activityPayload(cameraId, on, lastEvent ? this.clock.isoWithOffset(new Date(lastEvent.timestamp)) : null));
  }

  status(camera: Camera, status: CameraStatus, at: Date): string {
    return JSON.stringify(statusPayload(camera, status, this.clock.isoWithOffset(at)));
  }
}

export interface StoredStatus {
  state: CameraRuntimeState;
  updated_at: string;
}

export function readStatus(store: Store, cameraId: string): StoredStatus | undefined {
  return store.db.prepare("SELECT state, updated_at FROM camera_status WHERE camera_id = ?").get(cameraId) as StoredStatus | undefined;
}

export function writeStatus(store: Store, cameraId: string, state: CameraRuntimeState, at: Date): void {
  store.db
    .prepare("INSERT INTO camera_status (camera_id, state, updated_at) VALUES (?, ?, ?) ON CONFLICT(camera_id) DO UPDATE SET state = excluded.state, updated_at = excluded.updated_at")
    .run(cameraId, state, at.toISOString());
}

export interface CameraSnapshot {
  status: string;
  lastEvent: string | null;
  counts: string;
  activity: string;
  /** Arrival time of the newest event (epoch ms), for the activity timer. */
  lastArrival: number | null;
}

/** Everything the four state topics of one camera should say right now, from the store. */
export function cameraSnapshot(store: Store, payloads: StatePayloads, activityTimeoutMs: number, camera: Camera, now: Date): CameraSnapshot {
  const stored = readStatus(store, camera.id);
  const status = stored ? mapRuntimeState(stored.state) : DEFAULT_STATUS;
  const latest = store.events.latest(camera.id);
  const arrival = latest ? Date.parse(latest.event.created_at) : null;
  const on = arrival !== null && now.getTime() < arrival + activityTimeoutMs;
  return {
    status: payloads.status(camera, status, stored ? new Date(stored.updated_at) : now),
    lastEvent: latest ? payloads.lastEvent(latest.event, camera) : null,
    counts: payloads.counts(camera, countEvents(store, payloads.clock, camera.id, now), now),
    activity: payloads.activity(camera.id, on, latest?.event ?? null),
    lastArrival: arrival,
  };
}

/**
 * The actor's initial retained state: every camera's status, counts and activity, and last_event
 * for cameras that have one (the contract's last_event has no form for "never"). Passed in
 * ActorInit.state so the first reconcile publishes it and nothing reads "unknown" after a restart.
 */
export function initialStateMessages(store: Store, payloads: StatePayloads, activityTimeoutMs: number, topicPrefix: string, now = new Date()): StateMessage[] {
  const out: StateMessage[] = [];
  for (const camera of store.cameras.list()) {
    const snap = cameraSnapshot(store, payloads, activityTimeoutMs, camera, now);
    const topics = cameraStateTopics(topicPrefix, camera.id);
    out.push({ topic: topics.status, payload: snap.status });
    if (snap.lastEvent !== null) out.push({ topic: topics.last_event, payload: snap.lastEvent });
    out.push({ topic: topics.counts, payload: snap.counts }, { topic: topics.activity, payload: snap.activity });
  }
  return out;
}

/** Outbox entries that restate a snapshot (used after leftovers, so the last word is current). */
export function snapshotEntries(camera: Camera, snap: CameraSnapshot): NewOutboxEntry[] {
  const entries: NewOutboxEntry[] = [];
  if (snap.lastEvent !== null) entries.push({ camera_id: camera.id, kind: "last_event", payload: snap.lastEvent });
  entries.push({ camera_id: camera.id, kind: "counts", payload: snap.counts }, { camera_id: camera.id, kind: "activity", payload: snap.activity });
  return entries;
}
