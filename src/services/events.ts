/**
 * Camera events in, Home Assistant state out. One EventRuntime per process (built in createApp):
 *
 * - createEvent stores the event and ONE outbox row ('event_bundle': the event, last_event,
 *   counts and activity ON messages, delivered in that order) in ONE transaction (shared with the
 *   other events of the same event-loop turn: GroupCommit), then wakes the outbox pump. A crash
 *   after the commit leaves the row for the next start; a crash before it leaves nothing. The
 *   counts come from an in-memory CountsCache (no range scan per event), advanced inside the batch
 *   transaction and emptied if its COMMIT fails.
 * - activity OFF, periodic and on-connect counts go through the same outbox, so the broker always
 *   ends on the newest state even after an outage.
 * - status reports are retained state sent with publishState (only that route writes the topic).
 */
import { randomUUID } from "node:crypto";
import type { Config } from "../config/config.js";
import type { Camera, CameraRuntimeState, CameraStatus } from "../domain/camera.js";
import type { CameraEvent } from "../domain/event.js";
import { ConflictError, NotFoundError } from "../errors.js";
import { mapRuntimeState } from "../ha/state-payloads.js";
import { zonedClock } from "../ha/time.js";
import { cameraStateTopics } from "../ha/topics.js";
import type { Log } from "../log.js";
import type { MqttActorApi } from "../mqtt/contract.js";
import type { EventQuery } from "../store/events-repo.js";
import type { BundleParts, NewOutboxEntry } from "../store/outbox-repo.js";
import type { Store } from "../store/store.js";
import { ActivityTimers } from "./activity.js";
import { cameraSnapshot, cameraSnapshots, snapshotEntries, StatePayloads, writeStatus } from "./camera-state.js";
import { CountsCache } from "./counts.js";
import { GroupCommit } from "./group-commit.js";
import type { MqttConfigService } from "./mqtt-config.js";
import { OutboxPump } from "./outbox-pump.js";
import { Retention } from "./retention.js";

export const COUNTS_REFRESH_MS = 5 * 60_000;
/** refreshCounts writes this many cameras per transaction, then yields to the event loop. */
export const COUNTS_CHUNK = 100;

export interface NewEvent {
  camera_id: string;
  description: string;
  objects_detected: string[];
  confidence: number;
  /** ISO 8601 with an offset; now when absent. */
  timestamp?: string | undefined;
  ai_confidence?: number | null | undefined;
  smart_detection_type?: string | null | undefined;
  is_doorbell_ring?: boolean | null | undefined;
  provider_used?: string | null | undefined;
  analysis_mode?: string | null | undefined;
  low_confidence?: boolean | null | undefined;
  correlation_group_id?: string | null | undefined;
  delivery_carrier?: string | null | undefined;
  delivery_carrier_display?: string | null | undefined;
}

/** An event accepted by createEvent, waiting for its group commit. */
interface PendingEvent {
  event: CameraEvent;
  ts: number;
  now: Date;
}

export interface CameraStatusView {
  camera_id: string;
  state: CameraRuntimeState;
  status: CameraStatus;
  updated_at: string;
}

export interface EventRuntimeDeps {
  config: Pick<Config, "TIME_ZONE" | "apiBaseUrl" | "ACTIVITY_TIMEOUT_S" | "EVENT_RETENTION_DAYS" | "OUTBOX_MAX_AGE_S" | "OUTBOX_MAX_ENTRIES">;
  store: Store;
  mqtt: MqttActorApi;
  log: Log;
  mqttConfig: Pick<MqttConfigService, "stored">;
}

export class EventRuntime {
  readonly payloads: StatePayloads;
  readonly pump: OutboxPump;
  readonly activity: ActivityTimers;
  readonly retention: Retention;
  readonly counts: CountsCache;
  private countsTimer: NodeJS.Timeout | null = null;
  private started = false;
  private stopped = false;
  private refreshing: Promise<void> | null = null;
  private refreshAgain: "all" | "changed" | null = null;
  private readonly writes: GroupCommit<PendingEvent, CameraEvent>;

  constructor(private readonly d: EventRuntimeDeps) {
    this.payloads = new StatePayloads(zonedClock(d.config.TIME_ZONE), d.config.apiBaseUrl);
    this.pump = new OutboxPump({
      store: d.store,
      mqtt: d.mqtt,
      log: d.log,
      settings: () => d.mqttConfig.stored(),
      maxAgeS: d.config.OUTBOX_MAX_AGE_S,
      maxEntries: d.config.OUTBOX_MAX_ENTRIES,
    });
    this.activity = new ActivityTimers(d.config.ACTIVITY_TIMEOUT_S * 1000, (id) => this.guard(() => this.activityExpired(id)));
    this.retention = new Retention({ store: d.store, log: d.log, retentionDays: d.config.EVENT_RETENTION_DAYS });
    // Retention of a week or less purges rows inside the counts windows: no cache then.
    this.counts = new CountsCache(d.store, this.payloads.clock, d.config.EVENT_RETENTION_DAYS >= 8);
    this.writes = new GroupCommit<PendingEvent, CameraEvent>({
      db: d.store.db,
      write: (job) => this.writeEvent(job),
      committed: (done) => this.eventsCommitted(done),
      onRollback: () => this.counts.clear(),
      onError: (err) => d.log.error({ err }, "post-commit event task failed"),
    });
  }

  /** Restores timers from the store, restates leftovers' cameras, starts the pump and the intervals. */
  start(): void {
    if (this.started) return;
    this.started = true;
    const now = new Date();
    const { store } = this.d;
    // A handful of statements whatever the number of cameras: newest events for the activity
    // timers, and snapshots only of cameras with undelivered state.
    for (const [cameraId, latest] of store.events.latestAll()) {
      const arrival = Date.parse(latest.event.created_at);
      if (now.getTime() < arrival + this.activity.timeoutMs) this.activity.touch(cameraId, arrival);
    }
    const pendingState = store.outbox.camerasWithPendingState();
    const restate: NewOutboxEntry[] = [];
    if (pendingState.size > 0) {
      const cameras = store.cameras.list();
      // Undelivered state from before a restart would otherwise be the last word on the broker
      // (the reconcile publishes the fresh snapshot first, the pump drains the old entries after).
      const snaps = cameraSnapshots(store, this.payloads, this.activity.timeoutMs, cameras, now, (c) => pendingState.has(c.id));
      for (const camera of cameras) {
        const snap = snaps.get(camera.id);
        if (snap) restate.push(...snapshotEntries(camera, snap));
      }
    }
    if (restate.length > 0) store.db.transaction(() => store.outbox.add(restate))();
    this.pump.onConnect(() => void this.refreshCounts("changed"));
    this.pump.start();
    this.countsTimer = setInterval(() => this.guard(() => void this.refreshCounts()), COUNTS_REFRESH_MS);
    this.countsTimer.unref();
    this.retention.start();
  }

  stop(): void {
    this.stopped = true;
    this.pump.stop();
    this.activity.stop();
    this.retention.stop();
    if (this.countsTimer) clearInterval(this.countsTimer);
  }

  // ------------------------------------------------------------------ events

  /**
   * Validates the camera at once (404/409 as before), then queues the write: it is committed with
   * the other events of this event-loop turn (GroupCommit) and the promise resolves only after the
   * COMMIT, so a 201 still means "stored, with its outbox row".
   */
  createEvent(input: NewEvent): Promise<CameraEvent> {
    const camera = this.enabledCamera(input.camera_id);
    const now = new Date();
    const ts = input.timestamp !== undefined ? Date.parse(input.timestamp) : now.getTime();
    // The timestamp is written in TIME_ZONE here, so the payloads below use it as it is.
    const event: CameraEvent = {
      id: randomUUID(),
      camera_id: camera.id,
      description: input.description,
      objects_detected: input.objects_detected,
      confidence: input.confidence,
      timestamp: this.payloads.clock.isoWithOffset(new Date(ts)),
      created_at: now.toISOString(),
      ai_confidence: input.ai_confidence ?? null,
      smart_detection_type: input.smart_detection_type ?? null,
      is_doorbell_ring: input.is_doorbell_ring ?? null,
      provider_used: input.provider_used ?? null,
      analysis_mode: input.analysis_mode ?? null,
      low_confidence: input.low_confidence ?? null,
      correlation_group_id: input.correlation_group_id ?? null,
      delivery_carrier: input.delivery_carrier ?? null,
      delivery_carrier_display: input.delivery_carrier_display ?? null,
    };
    return this.writes.submit({ event, ts, now });
  }

  private enabledCamera(cameraId: string): Camera {
    const camera = this.d.store.cameras.get(cameraId);
    if (!camera) throw new NotFoundError(`No camera with id ${cameraId}.`);
    if (!camera.is_enabled) throw new ConflictError(`Camera ${cameraId} is disabled; enable it before posting events.`);
    return camera;
  }

  /**
   * One event inside the batch transaction (its own savepoint): the event row and ONE outbox row.
   * The camera is looked up again: a DELETE or disable between the request and this write wins.
   */
  private writeEvent({ event, ts, now }: PendingEvent): CameraEvent {
    const { store } = this.d;
    const camera = this.enabledCamera(event.camera_id);
    store.events.insert(event, ts);
    const c = this.counts.next(camera.id, ts, now);
    const p = this.payloads.newEvent(event, camera, c, now);
    const bundle: BundleParts = { event: p.event, last_event: p.lastEvent, counts: p.counts, activity: p.activity };
    store.outbox.add([{ camera_id: camera.id, kind: "event_bundle", event_id: event.id, payload: JSON.stringify(bundle) }], now.getTime());
    // Advanced inside the (outer) transaction so the next event of the same camera in this batch
    // counts this one; a failed COMMIT empties the cache (onRollback), the store stays the truth.
    this.counts.commit(camera.id, c, now);
    return event;
  }

  /** After the batch's COMMIT. */
  private eventsCommitted(done: ReadonlyArray<{ job: PendingEvent; result: CameraEvent }>): void {
    for (const { job } of done) this.activity.touch(job.event.camera_id, job.now.getTime());
    this.pump.added(done.length);
  }

  getEvent(id: string): CameraEvent {
    const event = this.d.store.events.get(id);
    if (!event) throw new NotFoundError(`No event with id ${id}.`);
    return event;
  }

  listEvents(q: EventQuery): ReturnType<Store["events"]["list"]> {
    return this.d.store.events.list(q);
  }

  // ------------------------------------------------------------------ cameras

  reportStatus(cameraId: string, state: CameraRuntimeState): CameraStatusView {
    const camera = this.d.store.cameras.get(cameraId);
    if (!camera) throw new NotFoundError(`No camera with id ${cameraId}.`);
    const at = new Date();
    writeStatus(this.d.store, cameraId, state, at);
    const status = mapRuntimeState(state);
    this.publishStatus(camera, this.payloads.status(camera, status, at));
    return { camera_id: cameraId, state, status, updated_at: this.payloads.clock.isoWithOffset(at) };
  }

  /** New or changed camera: state topics restated at once (a new camera gets its defaults). */
  cameraChanged(camera: Camera): void {
    const snap = cameraSnapshot(this.d.store, this.payloads, this.activity.timeoutMs, camera, new Date());
    this.publishStatus(camera, snap.status);
    const entries = snapshotEntries(camera, snap);
    this.d.store.outbox.add(entries);
    this.pump.added(entries.length);
  }

  /** The store already dropped its events, status and outbox entries (ON DELETE CASCADE). */
  cameraDeleted(cameraId: string): void {
    this.activity.cancel(cameraId);
    this.counts.forget(cameraId);
  }

  /**
   * Counts of every camera, restated (older undelivered counts entries are superseded). Runs in
   * chunks of COUNTS_CHUNK cameras, one transaction each, yielding to the event loop in between so
   * HTTP keeps being served with 10,000 cameras. Each chunk reads its counts in the same
   * transaction that writes them, so an event committed between chunks is never overtaken by an
   * older count. A refresh asked for while one runs is run once after it ("all" wins).
   *
   * "changed" (on every connect) queues only the cameras whose counts differ from the in-memory
   * counts, which are what was last queued: the actor republishes what it delivered itself, so a
   * reconnect only needs what moved while it was away (a new day, for instance). It keeps older
   * undelivered entries (they carry the values it compares with). "all" (every 5 minutes) restates
   * every camera, so anything else that changes the payload (a renamed camera) shows up too.
   */
  refreshCounts(mode: "all" | "changed" = "all"): Promise<void> {
    if (this.refreshing) {
      if (this.refreshAgain !== "all") this.refreshAgain = mode;
      return this.refreshing;
    }
    this.refreshing = this.runRefresh(mode)
      .catch((err: unknown) => this.d.log.error({ err }, "counts refresh failed"))
      .finally(() => {
        this.refreshing = null;
        const again = this.refreshAgain;
        this.refreshAgain = null;
        if (again && !this.stopped) void this.refreshCounts(again);
      });
    return this.refreshing;
  }

  private async runRefresh(mode: "all" | "changed"): Promise<void> {
    const { store } = this.d;
    if (this.stopped || !store.db.open) return;
    const ids = store.cameras.list().map((c) => c.id);
    const single = ids.length <= COUNTS_CHUNK;
    for (let i = 0; i < ids.length || i === 0; i += COUNTS_CHUNK) {
      if (i > 0) {
        await new Promise<void>((resolve) => setImmediate(resolve));
        if (this.stopped || !store.db.open) return;
      }
      const chunk = ids.slice(i, i + COUNTS_CHUNK);
      const now = new Date();
      const { startOfToday, startOfWeek } = this.payloads.clock.countWindows(now);
      const windowStart = startOfToday.getTime();
      let counts: Map<string, { today: number; week: number }> | null = null;
      const added = store.db.transaction(() => {
        // Superseded entries: all cameras at once, in the first chunk (later counts are newer).
        // (Counts inside undelivered event bundles stay: they are older and delivered first.)
        if (i === 0 && mode === "all") store.outbox.dropKind("counts");
        if (chunk.length === 0) return 0;
        counts = store.events.countsAll(windowStart, startOfWeek.getTime(), single ? undefined : chunk);
        const entries: NewOutboxEntry[] = [];
        for (const id of chunk) {
          const camera = store.cameras.get(id); // cached; a camera deleted meanwhile is skipped
          if (!camera) continue;
          const c = counts.get(id) ?? { today: 0, week: 0 };
          const known = mode === "changed" ? this.counts.peek(id, windowStart) : undefined;
          if (known && known.today === c.today && known.week === c.week) continue;
          entries.push({ camera_id: id, kind: "counts", payload: this.payloads.counts(camera, c, now) });
        }
        if (entries.length > 0) store.outbox.add(entries, now.getTime());
        return entries.length;
      })();
      // Committed: rebuild the in-memory counts of this chunk from what the store said.
      if (counts !== null) {
        const read: Map<string, { today: number; week: number }> = counts;
        if (i === 0 && mode === "all") this.counts.clear();
        for (const id of chunk) this.counts.set(id, read.get(id) ?? { today: 0, week: 0 }, windowStart);
      }
      if (added > 0) this.pump.added(added);
    }
  }

  private activityExpired(cameraId: string): void {
    const camera = this.d.store.cameras.get(cameraId);
    if (!camera) return;
    const latest = this.d.store.events.latest(cameraId);
    this.d.store.outbox.add([{ camera_id: cameraId, kind: "activity", payload: this.payloads.activity(cameraId, false, latest?.event ?? null) }]);
    this.pump.added(1);
  }

  private publishStatus(camera: Camera, payload: string): void {
    const topic = cameraStateTopics(this.d.mqttConfig.stored().topic_prefix, camera.id).status;
    this.d.mqtt.publishState([{ topic, payload }]).catch((err: unknown) => this.d.log.warn({ err: String(err), camera_id: camera.id }, "status not handed to the MQTT actor; the next reconcile will send it"));
  }

  private guard(fn: () => void): void {
    if (!this.d.store.db.open) return;
    try {
      fn();
    } catch (err) {
      this.d.log.error({ err }, "event state task failed");
    }
  }
}
