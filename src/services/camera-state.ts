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
import type { Statement } from "better-sqlite3";
import { activityPayload, countsPayload, lastEventPayload, mapRuntimeState, statusPayload } from "../ha/state-payloads.js";
import type { ZonedClock } from "../ha/time.js";
import { cameraStateTopics } from "../ha/topics.js";
import type { StateMessage } from "../mqtt/contract.js";
import type { Db } from "../store/database.js";
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

  /**
   * The four outbox payloads of a new event whose timestamp is already in TIME_ZONE (createEvent
   * writes it so): each payload object is built and stringified once, the timestamp is not re-zoned.
   */
  newEvent(event: CameraEvent, camera: Camera, counts: Counts, at: Date): { event: string; lastEvent: string; counts: string; activity: string } {
    return {
      event: JSON.stringify(eventPayload(event, camera, this.apiBaseUrl)),
      lastEvent: JSON.stringify(lastEventPayload(camera, event)),
      counts: this.counts(camera, counts, at),
      activity: JSON.stringify(activityPayload(camera.id, true, event.timestamp)),
    };
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

/** camera_status statements, prepared once per database connection. */
function statusStatements(db: Db) {
  let s = statusStmts.get(db);
  if (!s) {
    s = {
      read: db.prepare("SELECT state, updated_at FROM camera_status WHERE camera_id = ?"),
      readAll: db.prepare("SELECT camera_id, state, updated_at FROM camera_status"),
      write: db.prepare(
        "INSERT INTO camera_status (camera_id, state, updated_at) VALUES (?, ?, ?) ON CONFLICT(camera_id) DO UPDATE SET state = excluded.state, updated_at = excluded.updated_at",
      ),
    };
    statusStmts.set(db, s);
  }
  return s;
}
const statusStmts = new WeakMap<Db, { read: Statement; readAll: Statement; write: Statement }>();

export function readStatus(store: Store, cameraId: string): StoredStatus | undefined {
  return statusStatements(store.db).read.get(cameraId) as StoredStatus | undefined;
}

/** Every stored status, keyed by camera id (one statement). */
export function readAllStatuses(store: Store): Map<string, StoredStatus> {
  const out = new Map<string, StoredStatus>();
  for (const r of statusStatements(store.db).readAll.all() as Array<StoredStatus & { camera_id: string }>) out.set(r.camera_id, { state: r.state, updated_at: r.updated_at });
  return out;
}

export function writeStatus(store: Store, cameraId: string, state: CameraRuntimeState, at: Date): void {
  statusStatements(store.db).write.run(cameraId, state, at.toISOString());
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
  return buildSnapshot(payloads, activityTimeoutMs, camera, now, readStatus(store, camera.id), store.events.latest(camera.id), countEvents(store, payloads.clock, camera.id, now));
}

function buildSnapshot(
  payloads: StatePayloads,
  activityTimeoutMs: number,
  camera: Camera,
  now: Date,
  stored: StoredStatus | undefined,
  latest: { event: CameraEvent } | undefined,
  counts: Counts,
): CameraSnapshot {
  const status = stored ? mapRuntimeState(stored.state) : DEFAULT_STATUS;
  const arrival = latest ? Date.parse(latest.event.created_at) : null;
  const on = arrival !== null && now.getTime() < arrival + activityTimeoutMs;
  return {
    status: payloads.status(camera, status, stored ? new Date(stored.updated_at) : now),
    lastEvent: latest ? payloads.lastEvent(latest.event, camera) : null,
    counts: payloads.counts(camera, counts, now),
    activity: payloads.activity(camera.id, on, latest?.event ?? null),
    lastArrival: arrival,
  };
}

/**
 * Snapshots of many cameras from three statements in all (statuses, newest events, grouped
 * counts) instead of three per camera. `only` limits which cameras get a snapshot.
 */
export function cameraSnapshots(store: Store, payloads: StatePayloads, activityTimeoutMs: number, cameras: readonly Camera[], now: Date, only?: (camera: Camera) => boolean): Map<string, CameraSnapshot> {
  const out = new Map<string, CameraSnapshot>();
  const wanted = only ? cameras.filter(only) : cameras;
  if (wanted.length === 0) return out;
  const statuses = readAllStatuses(store);
  const latest = store.events.latestAll();
  const { startOfToday, startOfWeek } = payloads.clock.countWindows(now);
  const counts = store.events.countsAll(startOfToday.getTime(), startOfWeek.getTime());
  for (const camera of wanted) {
    out.set(camera.id, buildSnapshot(payloads, activityTimeoutMs, camera, now, statuses.get(camera.id), latest.get(camera.id), counts.get(camera.id) ?? { today: 0, week: 0 }));
  }
  return out;
}

/**
 * The actor's initial retained state: every camera's status, counts and activity, and last_event
 * for cameras that have one (the contract's last_event has no form for "never"). Passed in
 * ActorInit.state so the first reconcile publishes it and nothing reads "unknown" after a restart.
 */
export function initialStateMessages(store: Store, payloads: StatePayloads, activityTimeoutMs: number, topicPrefix: string, now = new Date()): StateMessage[] {
  const out: StateMessage[] = [];
  const cameras = store.cameras.list();
  const snaps = cameraSnapshots(store, payloads, activityTimeoutMs, cameras, now);
  for (const camera of cameras) {
    const snap = snaps.get(camera.id)!;
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
