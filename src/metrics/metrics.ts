/**
 * Prometheus metrics (prom-client) on a registry of our own (no global default registry). Figures
 * owned by the MQTT worker are read from its health report at scrape time, so the worker never
 * needs to know about Prometheus.
 */
import { Gauge, Histogram, Registry, collectDefaultMetrics } from "prom-client";
import type { MqttActorApi, MqttConnectionState } from "../mqtt/contract.js";

const STATES: MqttConnectionState[] = ["disabled", "connecting", "connected", "reconnecting", "not_authorized", "stopped", "restarting"];

export interface OutboxGauges {
  depth(): number;
  oldestAgeSeconds(): number;
  dropped(): number;
}

export interface Metrics {
  registry: Registry;
  httpDuration: Histogram<"method" | "route" | "status">;
  setOutbox(source: OutboxGauges): void;
}

export function createMetrics(deps: { mqtt: MqttActorApi & { readonly restarts?: number } }): Metrics {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry, prefix: "argus_", eventLoopMonitoringPrecision: 20 });

  const httpDuration = new Histogram({
    name: "argus_http_request_duration_seconds",
    help: "HTTP request duration by route template and status",
    labelNames: ["method", "route", "status"] as const,
    buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
    registers: [registry],
  });

  new Gauge({
    name: "argus_worker_restarts_total",
    help: "MQTT worker restarts by the supervisor",
    registers: [registry],
    collect() {
      this.set(deps.mqtt.restarts ?? 0);
    },
  });

  // One scrape reads the worker once; every MQTT gauge below shares that read.
  let snapshot: Promise<{ status: Awaited<ReturnType<MqttActorApi["status"]>>; health: Awaited<ReturnType<MqttActorApi["health"]>> } | null> | null = null;
  const read = () => {
    snapshot ??= Promise.all([deps.mqtt.status(), deps.mqtt.health()])
      .then(([status, health]) => ({ status, health }))
      .catch(() => null)
      .finally(() => setTimeout(() => (snapshot = null), 250).unref());
    return snapshot;
  };

  new Gauge({
    name: "argus_mqtt_connection_state",
    help: "1 for the MQTT actor's current connection state",
    labelNames: ["state"] as const,
    registers: [registry],
    async collect() {
      const s = await read();
      for (const state of STATES) this.set({ state }, s?.status.state === state ? 1 : 0);
    },
  });
  const fromHealth = (name: string, help: string, pick: (h: NonNullable<Awaited<ReturnType<typeof read>>>) => number | null) =>
    new Gauge({
      name,
      help,
      registers: [registry],
      async collect() {
        const s = await read();
        const v = s ? pick(s) : null;
        if (v !== null) this.set(v);
      },
    });
  fromHealth("argus_mqtt_messages_published_total", "Messages published by the MQTT actor (birth, discovery, removals, state, events)", (s) => s.status.messages_published);
  fromHealth("argus_mqtt_failures_total", "Failed MQTT jobs and publishes", (s) => s.health.failures);
  fromHealth("argus_mqtt_reconnects_total", "MQTT connections after the first", (s) => s.health.reconnects);
  fromHealth("argus_mqtt_in_flight", "Publishes awaiting acknowledgement", (s) => s.health.in_flight);
  fromHealth("argus_mqtt_queue_depth", "Jobs waiting in the discovery loop", (s) => s.health.queue_depth);
  fromHealth("argus_mqtt_last_reconcile_duration_seconds", "Duration of the last complete reconcile", (s) => (s.health.last_reconcile ? s.health.last_reconcile.duration_ms / 1000 : null));
  fromHealth("argus_mqtt_reconciles_total", "Complete reconciles", (s) => s.health.reconciles_completed);
  fromHealth("argus_worker_event_loop_delay_p99_seconds", "Event-loop delay p99 of the MQTT worker thread", (s) => s.health.event_loop_delay_p99_ms / 1000);
  fromHealth("argus_worker_heap_used_bytes", "Heap used by the MQTT worker thread", (s) => s.health.heap_used_bytes);

  let outbox: OutboxGauges | null = null;
  new Gauge({ name: "argus_outbox_depth", help: "Undelivered MQTT outbox entries", registers: [registry], collect() { if (outbox) this.set(outbox.depth()); } });
  new Gauge({ name: "argus_outbox_oldest_age_seconds", help: "Age of the oldest undelivered outbox entry", registers: [registry], collect() { if (outbox) this.set(outbox.oldestAgeSeconds()); } });
  new Gauge({ name: "argus_outbox_dropped_total", help: "Outbox entries dropped by the age or count bound", registers: [registry], collect() { if (outbox) this.set(outbox.dropped()); } });

  return { registry, httpDuration, setOutbox: (source) => (outbox = source) };
}
