/**
 * Drains the MQTT outbox on the main thread: reads undelivered entries in id order, hands them to
 * the actor in batches (`deliver`, QoS as configured, pipelined, in order) and deletes only those
 * the broker acknowledged. It runs when woken (new entries, every transition to "connected") and
 * otherwise sleeps: while disconnected nothing polls, except one slow safety retry (15 s) in case
 * a state change was missed. At-least-once: an entry whose PUBACK was lost is sent again, with the
 * same payload (and so the same event_id).
 *
 * An 'event_bundle' row expands into up to four messages (event, last_event, counts, activity, in
 * that order), each with its own OutboundMessage id (row id * ID_STRIDE + part index). The row is
 * deleted only when all of them were acknowledged; after a partial acknowledgement the row stays
 * and the parts already acknowledged are skipped on the next attempt in this process (after a
 * restart the whole row is sent again: at-least-once, same event_id).
 */
import type { Log } from "../log.js";
import { cameraStateTopics } from "../ha/topics.js";
import type { ActorListener, MqttActorApi, MqttConnectionState, OutboundMessage } from "../mqtt/contract.js";
import type { MqttSettings } from "../mqtt/settings.js";
import { BUNDLE_ORDER, type BundleParts, type OutboxEntry } from "../store/outbox-repo.js";
import type { Store } from "../store/store.js";

export type DeliverySettings = Pick<MqttSettings, "topic_prefix" | "qos" | "retain_messages" | "message_expiry_seconds">;

export interface OutboxPumpOptions {
  store: Store;
  mqtt: MqttActorApi;
  log: Log;
  settings: () => DeliverySettings;
  maxAgeS: number;
  maxEntries: number;
  batchSize?: number;
  safetyRetryMs?: number;
}

export interface OutboxStats {
  pending: number;
  delivered: number;
  dropped_expired: number;
  dropped_overflow: number;
  batches: number;
  failed_batches: number;
  connected: boolean;
}

/** Supervised actors tell of connection changes; a bare actor (offline tests) does not. */
export function changeSource(mqtt: MqttActorApi): ((l: ActorListener) => () => void) | null {
  const candidate = (mqtt as Partial<{ onChange: (l: ActorListener) => () => void }>).onChange;
  return typeof candidate === "function" ? candidate.bind(mqtt) : null;
}

/** OutboundMessage ids: row id * ID_STRIDE + the message's index in the row (0 for single rows). */
export const ID_STRIDE = 8;

type MessageKind = "event" | "last_event" | "counts" | "activity";

function message(kind: MessageKind, id: number, payload: string, topics: ReturnType<typeof cameraStateTopics>, s: DeliverySettings): OutboundMessage {
  if (kind === "event") {
    // The contract: config qos and retain; an expiry only on a message that is not retained.
    return { id, topic: topics.event, payload, qos: s.qos, retain: s.retain_messages, expiry_seconds: s.retain_messages ? null : s.message_expiry_seconds, remember: false };
  }
  // Retained state: qos 1, never expires, remembered so every reconcile republishes the latest.
  return { id, topic: topics[kind], payload, qos: 1, retain: true, expiry_seconds: null, remember: true };
}

/**
 * The messages of one row, in delivery order, starting at part `from` (parts before it were
 * already acknowledged). A bundle whose payload cannot be read yields nothing (and is deleted).
 */
export function toOutbound(e: OutboxEntry, s: DeliverySettings, from = 0): OutboundMessage[] {
  const topics = cameraStateTopics(s.topic_prefix, e.camera_id);
  const base = e.id * ID_STRIDE;
  if (e.kind !== "event_bundle") return from > 0 ? [] : [message(e.kind, base, e.payload, topics, s)];
  let parts: BundleParts;
  try {
    parts = JSON.parse(e.payload) as BundleParts;
  } catch {
    return [];
  }
  const out: OutboundMessage[] = [];
  for (let i = from; i < BUNDLE_ORDER.length; i++) {
    const kind = BUNDLE_ORDER[i]!;
    const payload = parts[kind];
    if (typeof payload === "string") out.push(message(kind, base + i, payload, topics, s));
  }
  return out;
}

export class OutboxPump {
  private readonly batchSize: number;
  private readonly safetyRetryMs: number;
  private running: Promise<void> | null = null;
  private again = false;
  private stopped = false;
  private connected = true; // optimistic until told otherwise: a failed deliver is cheap
  private connectEpoch = 0;
  private lastState: MqttConnectionState | null = null;
  private retryTimer: NodeJS.Timeout | null = null;
  private ageTimer: NodeJS.Timeout | null = null;
  private approxSize = 0;
  private unsubscribe: (() => void) | null = null;
  private readonly stats_ = { delivered: 0, dropped_expired: 0, dropped_overflow: 0, batches: 0, failed_batches: 0 };
  private readonly connectListeners = new Set<() => void>();
  /** Rows partly acknowledged in this process: row id -> first part not yet acknowledged. */
  private readonly partial = new Map<number, number>();
  /** Test and metrics hook: called with the rows of each batch whose messages were ALL acknowledged. */
  onDelivered: ((entries: OutboxEntry[]) => void) | null = null;

  constructor(private readonly o: OutboxPumpOptions) {
    this.batchSize = o.batchSize ?? 200;
    this.safetyRetryMs = o.safetyRetryMs ?? 15_000;
  }

  start(): void {
    this.approxSize = this.o.store.outbox.size();
    this.enforceBounds();
    const source = changeSource(this.o.mqtt);
    if (source) this.unsubscribe = source((change) => this.onState(change.status.state));
    this.o.mqtt
      .status()
      .then((s) => {
        if (this.lastState === null) this.onState(s.state);
      })
      .catch(() => undefined);
    this.ageTimer = setInterval(() => this.guard(() => this.enforceBounds()), Math.min(60_000, this.o.maxAgeS * 250));
    this.ageTimer.unref();
    this.wake();
  }

  /** Called after every transition to "connected" (before the pump drains). */
  onConnect(fn: () => void): void {
    this.connectListeners.add(fn);
  }

  /** New entries were committed. */
  added(count: number): void {
    this.approxSize += count;
    if (this.approxSize > this.o.maxEntries) this.enforceBounds();
    this.wake();
  }

  wake(): void {
    if (this.stopped) return;
    if (this.running) {
      this.again = true;
      return;
    }
    this.running = this.drain().finally(() => {
      this.running = null;
      if (this.again && !this.stopped) {
        this.again = false;
        this.wake();
      }
    });
  }

  /** Resolves when no drain is running (tests). */
  async idle(): Promise<void> {
    while (this.running) await this.running;
  }

  stats(): OutboxStats {
    return { pending: this.o.store.db.open ? this.o.store.outbox.size() : 0, ...this.stats_, connected: this.connected };
  }

  stop(): void {
    this.stopped = true;
    this.unsubscribe?.();
    if (this.retryTimer) clearTimeout(this.retryTimer);
    if (this.ageTimer) clearInterval(this.ageTimer);
  }

  private onState(state: MqttConnectionState): void {
    const was = this.lastState;
    this.lastState = state;
    if (state === "connected") {
      this.connected = true;
      if (was !== "connected") {
        this.connectEpoch += 1;
        for (const fn of this.connectListeners) this.guard(fn);
        this.wake();
      }
    } else {
      this.connected = false;
    }
  }

  private guard(fn: () => void): void {
    if (this.stopped || !this.o.store.db.open) return;
    try {
      fn();
    } catch (err) {
      this.o.log.error({ err }, "outbox task failed");
    }
  }

  private enforceBounds(): void {
    const { expired, overflow } = this.o.store.outbox.enforceBounds(Date.now() - this.o.maxAgeS * 1000, this.o.maxEntries);
    if (expired + overflow > 0) {
      this.stats_.dropped_expired += expired;
      this.stats_.dropped_overflow += overflow;
      this.o.log.warn(
        { expired, overflow, dropped_total: this.stats_.dropped_expired + this.stats_.dropped_overflow, max_age_s: this.o.maxAgeS, max_entries: this.o.maxEntries },
        "outbox bound reached: undelivered MQTT messages dropped",
      );
    }
    this.approxSize = this.o.store.outbox.size();
  }

  private scheduleRetry(): void {
    if (this.retryTimer || this.stopped) return;
    this.retryTimer = setTimeout(() => {
      this.retryTimer = null;
      this.connected = true; // one probe: a failed deliver answers at once when not connected
      this.wake();
    }, this.safetyRetryMs);
    this.retryTimer.unref();
  }

  private async drain(): Promise<void> {
    for (;;) {
      if (this.stopped || !this.o.store.db.open) return;
      if (!this.connected) {
        if (this.approxSize > 0) this.scheduleRetry();
        return;
      }
      const entries = this.o.store.outbox.pending(this.batchSize);
      if (entries.length === 0) return;
      // Partial progress of rows that are gone (delivered, dropped by a bound, camera deleted).
      if (this.partial.size > 0) for (const id of this.partial.keys()) if (id < entries[0]!.id) this.partial.delete(id);
      const settings = this.o.settings();
      const epoch = this.connectEpoch;
      // Expand the rows; remember where each row's messages end (the last message id it needs).
      const messages: OutboundMessage[] = [];
      const lastOf = new Map<number, number>();
      const empty: OutboxEntry[] = [];
      for (const e of entries) {
        const ms = toOutbound(e, settings, this.partial.get(e.id) ?? 0);
        if (ms.length === 0) {
          empty.push(e); // nothing (left) to send: delete it with this batch
          continue;
        }
        for (const m of ms) messages.push(m);
        lastOf.set(e.id, ms[ms.length - 1]!.id);
      }
      let result;
      if (messages.length === 0) {
        result = { delivered: [] as number[], error: null };
      } else {
        try {
          result = await this.o.mqtt.deliver(messages);
        } catch (err) {
          result = { delivered: [] as number[], error: err instanceof Error ? err.message : String(err) };
        }
      }
      this.stats_.batches += 1;
      if (this.o.store.db.open) {
        // Acknowledgements come in order and stop at the first failure: a row is done when its
        // last message was acknowledged; the row of a later acknowledged id is partly done.
        const acked = new Set(result.delivered);
        const done: OutboxEntry[] = [...empty];
        for (const e of entries) {
          const last = lastOf.get(e.id);
          if (last === undefined) continue;
          if (acked.has(last)) {
            done.push(e);
            this.partial.delete(e.id);
            continue;
          }
          let next = -1;
          for (let part = ID_STRIDE - 1; part >= 0; part--) {
            if (acked.has(e.id * ID_STRIDE + part)) {
              next = part + 1;
              break;
            }
          }
          if (next > 0) this.partial.set(e.id, next);
        }
        this.stats_.delivered += result.delivered.length;
        if (done.length > 0) {
          this.o.store.outbox.markDelivered(done.map((e) => e.id));
          this.approxSize = Math.max(0, this.approxSize - done.length);
          if (this.onDelivered) this.onDelivered(done.filter((e) => lastOf.has(e.id)));
        }
      }
      if (result.error !== null) {
        this.stats_.failed_batches += 1;
        this.o.log.debug({ err: result.error, delivered: result.delivered.length, batch: entries.length }, "outbox batch interrupted; waiting for the broker");
        // A connect that happened during the call would otherwise be missed: try again at once.
        if (epoch !== this.connectEpoch && this.lastState === "connected") continue;
        this.connected = false;
        this.scheduleRetry();
        return;
      }
    }
  }
}
