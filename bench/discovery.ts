/**
 * Discovery throughput: a full republish of N cameras (empty broker) by the MQTT actor in its worker
 * thread, from CONNACK until the reconcile reports every publish acknowledged, next to a bare MQTT.js
 * client publishing the same rendered messages with QoS 1 to the same mosquitto in the same run.
 * The broker is restarted (persistence off) before every measurement so nothing is retained. Every
 * case runs against each broker profile (BROKER_PROFILES), the baselines against the same broker.
 */
import { performance } from "node:perf_hooks";
import mqtt from "mqtt";
import { discoveryContextFrom, renderDiscovery, type RetainedMessage } from "../src/ha/discovery.js";
import type { ActorStateChange, ReconcileReport } from "../src/mqtt/contract.js";
import type { DiscoveryMode } from "../src/mqtt/settings.js";
import { createMqttActor } from "../src/mqtt/supervisor.js";
import { startMosquitto, type Mosquitto } from "../test/helpers/mosquitto.js";
import { cameras, median, mqttSettings, round, sleep, waitFor } from "./lib.js";

export interface DiscoveryCase {
  cameras: number;
  mode: DiscoveryMode;
}

/**
 * Broker configurations measured side by side. "stock" is Debian's mosquitto as installed: it
 * announces a receive maximum of 20 (max_inflight_messages) and writes with Nagle's algorithm on.
 * "tuned" is the configuration docs/mqtt.md recommends for large installations.
 */
export const BROKER_PROFILES = {
  stock: [] as string[],
  tuned: ["max_inflight_messages 1000", "set_tcp_nodelay true"],
} as const;
export type BrokerProfile = keyof typeof BROKER_PROFILES;

export interface DiscoveryRun {
  /** Bare MQTT.js, every publish issued at once (MQTT.js default behaviour). */
  bare_ms: number;
  /** Bare MQTT.js keeping at most the broker's receive maximum in flight (what a compliant client may do). */
  bare_windowed_ms: number;
  /** Actor with default options, first reconcile of a fresh worker: CONNACK -> reconcile done (every PUBACK received). */
  actor_ms: number;
  /** The same actor after the broker came back empty: CONNACK -> reconcile done. */
  actor_warm_ms: number;
  actor_report: ReconcileReport | null;
  actor_warm_report: ReconcileReport | null;
  /** Actor start() to reconcile done (worker spawn, connect, render, publish). */
  actor_e2e_ms: number;
}

export interface DiscoveryProfileResult {
  profile: BrokerProfile;
  messages: number;
  broker_config: readonly string[];
  runs: DiscoveryRun[];
  bare_ms: number;
  bare_windowed_ms: number;
  actor_ms: number;
  actor_warm_ms: number;
  actor_e2e_ms: number;
  bare_msg_s: number;
  bare_windowed_msg_s: number;
  actor_msg_s: number;
  actor_warm_msg_s: number;
  /** bare ms / actor ms, first reconcile of a fresh worker (the figure, cold). */
  ratio: number;
  /** bare ms / actor ms after a broker restart (same worker). */
  ratio_warm: number;
  ratio_vs_windowed: number;
}

export interface DiscoveryResult extends DiscoveryCase {
  messages: number;
  profiles: DiscoveryProfileResult[];
}

async function bare(url: string, msgs: RetainedMessage[], windowed: boolean): Promise<number> {
  const client = mqtt.connect(url, { protocolVersion: 5, reconnectPeriod: 0, clean: true, clientId: `bench-bare-${process.pid}-${Math.random().toString(16).slice(2, 8)}` });
  await new Promise<void>((resolve, reject) => {
    client.once("connect", () => resolve());
    client.once("error", reject);
  });
  const t0 = performance.now();
  const limit = windowed ? (client.serverProperties?.receiveMaximum ?? 256) : Infinity;
  await new Promise<void>((resolve, reject) => {
    let next = 0;
    let acked = 0;
    let inflight = 0;
    const pump = () => {
      while (next < msgs.length && inflight < limit) {
        const m = msgs[next++]!;
        inflight += 1;
        client.publish(m.topic, m.payload, { qos: 1, retain: true }, (err) => {
          if (err) return reject(err);
          inflight -= 1;
          acked += 1;
          if (acked === msgs.length) resolve();
          else if (windowed) pump();
        });
      }
    };
    pump();
  });
  const ms = performance.now() - t0;
  await client.endAsync();
  return ms;
}

interface ActorMeasure {
  ms: number;
  report: ReconcileReport;
}

/** CONNACK -> reconcile done, from the actor's own connected_since and its reconcile report. */
function measured(change: ActorStateChange): ActorMeasure {
  const h = change.health;
  const report = h.last_reconcile!;
  const since = Date.parse(h.connected_since ?? "");
  const finished = Date.parse(report.finished_at);
  // connected_since is the CONNACK time; finished_at is written after the last PUBACK.
  return { ms: Number.isFinite(since) ? finished - since : report.duration_ms, report };
}

/**
 * Two full republishes by one actor: "cold" is the first after the worker was spawned (first start
 * of the service: fresh isolate, no JIT yet); "warm" is the one after the broker was killed and came
 * back empty (persistence off), the same worker reconnecting by itself.
 */
async function actorRun(mosq: Mosquitto, mode: DiscoveryMode, n: number): Promise<{ cold: ActorMeasure; warm: ActorMeasure; e2e: number }> {
  const actor = createMqttActor({ mode: "worker", worker_log_level: "warn" });
  let last: ActorStateChange | null = null;
  const t0 = performance.now();
  try {
    await actor.start(
      {
        settings: mqttSettings(mosq.port, { discovery_mode: mode }),
        cameras: cameras(n),
        state: [],
        app_version: "0.1.0",
        instance_id: `bench-${process.pid}-${Math.random().toString(16).slice(2, 8)}`,
        options: {},
      },
      (c) => {
        last = c;
      },
    );
    const completed = () => (last as ActorStateChange | null)?.health.reconciles_completed ?? 0;
    await waitFor(() => completed() >= 1, 120_000, "the first reconcile", 10);
    const e2e = performance.now() - t0;
    const cold = measured(last!);
    await waitFor(() => (last as ActorStateChange | null)?.health.in_flight === 0, 30_000, "idle", 10);
    await sleep(300); // past the post-reconcile GC
    await mosq.killAndRestart();
    await waitFor(() => completed() >= 2, 120_000, "the reconcile after the broker restart", 10);
    return { cold, warm: measured(last!), e2e };
  } finally {
    await actor.close();
  }
}

async function benchProfile(profile: BrokerProfile, cases: DiscoveryCase[], reps: number, log: (s: string) => void): Promise<Map<DiscoveryCase, DiscoveryProfileResult>> {
  const mosq: Mosquitto = await startMosquitto({ brokerConfig: [...BROKER_PROFILES[profile]] });
  const out = new Map<DiscoveryCase, DiscoveryProfileResult>();
  try {
    for (const c of cases) {
      const ctx = discoveryContextFrom(mqttSettings(mosq.port, { discovery_mode: c.mode }), "0.1.0");
      const msgs = [{ topic: ctx.availability_topic, payload: "online" }, ...renderDiscovery(cameras(c.cameras), ctx)];
      const runs: DiscoveryRun[] = [];
      for (let r = 0; r < reps; r++) {
        // Restarted before every measurement (persistence off): each one publishes into an empty broker.
        await mosq.restart();
        const bareMs = await bare(mosq.url, msgs, false);
        await mosq.restart();
        const bareWinMs = await bare(mosq.url, msgs, true);
        await mosq.restart();
        const actor = await actorRun(mosq, c.mode, c.cameras);
        const run: DiscoveryRun = {
          bare_ms: round(bareMs, 0),
          bare_windowed_ms: round(bareWinMs, 0),
          actor_ms: actor.cold.ms,
          actor_warm_ms: actor.warm.ms,
          actor_report: actor.cold.report,
          actor_warm_report: actor.warm.report,
          actor_e2e_ms: round(actor.e2e, 0),
        };
        runs.push(run);
        log(`  discovery ${profile} ${c.cameras} ${c.mode} rep ${r + 1}: bare ${run.bare_ms} ms, bare(windowed) ${run.bare_windowed_ms} ms, actor cold ${run.actor_ms} ms, warm ${run.actor_warm_ms} ms, e2e ${run.actor_e2e_ms} ms`);
        await sleep(100);
      }
      const rate = (ms: number) => round((msgs.length * 1000) / ms, 0);
      const bareMs = median(runs.map((r) => r.bare_ms));
      const bareWinMs = median(runs.map((r) => r.bare_windowed_ms));
      const actorMs = median(runs.map((r) => r.actor_ms));
      const actorWarmMs = median(runs.map((r) => r.actor_warm_ms));
      out.set(c, {
        profile,
        messages: msgs.length,
        broker_config: BROKER_PROFILES[profile],
        runs,
        bare_ms: bareMs,
        bare_windowed_ms: bareWinMs,
        actor_ms: actorMs,
        actor_warm_ms: actorWarmMs,
        actor_e2e_ms: median(runs.map((r) => r.actor_e2e_ms)),
        bare_msg_s: rate(bareMs),
        bare_windowed_msg_s: rate(bareWinMs),
        actor_msg_s: rate(actorMs),
        actor_warm_msg_s: rate(actorWarmMs),
        ratio: round(bareMs / actorMs, 2),
        ratio_warm: round(bareMs / actorWarmMs, 2),
        ratio_vs_windowed: round(bareWinMs / actorMs, 2),
      });
    }
  } finally {
    await mosq.stop();
  }
  return out;
}

export async function benchDiscovery(cases: DiscoveryCase[], reps: number, log: (s: string) => void, profiles: BrokerProfile[] = ["stock", "tuned"]): Promise<DiscoveryResult[]> {
  const byProfile = new Map<BrokerProfile, Map<DiscoveryCase, DiscoveryProfileResult>>();
  for (const p of profiles) byProfile.set(p, await benchProfile(p, cases, reps, log));
  return cases.map((c) => {
    const results = profiles.map((p) => byProfile.get(p)!.get(c)!);
    return { ...c, messages: results[0]?.messages ?? 0, profiles: results };
  });
}
