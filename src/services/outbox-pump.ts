/**
 * Drains the MQTT outbox on the main thread: reads undelivered entries in id order, hands them to
 * the actor in batches (`deliver`, QoS as configured, pipelined, in order) and deletes only those
 * the broker acknowledged. It runs when woken (new entries, every transition to "connected") and
 * otherwise sleeps: while disconnected nothing polls, except one slow safety retry (15 s) in case
 * a state change was missed. At-least-once: an entry whose PUBACK was lost is sent again, with the
 * same payload (and so the same event_id).
 */
import type { Log } from "../log.js";
import { cameraStateTopics } from "../ha/topics.js";
import type { ActorListener, MqttActorApi, MqttConnectionState, OutboundMessage } from "../mqtt/contract.js";
import type { MqttSettings } from "../mqtt/settings.js";
import type { OutboxEntry } from "../store/outbox-repo.js";
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

export function toOutbound(e: OutboxEntry, s: DeliverySettings): OutboundMessage {
  const topics = cameraStateTopics(s.topic_prefix, e.camera_id);
  if (e.kind === "event") {
    // The contract: config qos and retain; an expiry only on a message that is not retained.
    return { id: e.id, topic: topics.event, payload: e.payload, qos: s.qos, retain: s.retain_messages, expiry_seconds: s.retain_messages ? null : s.message_expiry_seconds, remember: false };
  }
  // Retained state: qos 1, never expires, remembered so every reconcile republishes the latest.
  return { id: e.id, topic: topics[e.kind], payload: e.payload, qos: 1, retain: true, expiry_seconds: null, remember: true };
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
  /** Test and metrics hook: called with each acknowledged batch. */
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
      const settings = this.o.settings();
      const epoch = this.connectEpoch;
      let result;
      try {
        result = await this.o.mqtt.deliver(entries.map((e) => toOutbound(e, settings)));
      } catch (err) {
        result = { delivered: [], error: err instanceof Error ? err.message : String(err) };
      }
      this.stats_.batches += 1;
      if (result.delivered.length > 0 && this.o.store.db.open) {
        this.o.store.outbox.markDelivered(result.delivered);
        this.approxSize = Math.max(0, this.approxSize - result.delivered.length);
        this.stats_.delivered += result.delivered.length;
        if (this.onDelivered) {
          const acked = new Set(result.delivered);
          this.onDelivered(entries.filter((e) => acked.has(e.id)));
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
