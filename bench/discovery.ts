/**
 * Discovery throughput: a full republish of N cameras (empty broker) by the MQTT actor in its worker
 * thread, from CONNACK until the reconcile reports every publish acknowledged, next to a bare MQTT.js
 * client publishing the same rendered messages with QoS 1 to the same mosquitto in the same run.
 * The broker is restarted (persistence off) before every measurement so nothing is retained.
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

export interface DiscoveryRun {
  messages: number;
  /** Bare MQTT.js, every publish issued at once (MQTT.js default behaviour). */
  bare_ms: number;
  /** Bare MQTT.js keeping at most the broker's receive maximum in flight (what a compliant client may do). */
  bare_windowed_ms: number;
  /** Actor, retained_collect_ms small (50): CONNACK -> reconcile done. */
  actor_ms: number;
  /** Actor, default options (retained_collect_ms 2000; the quiet window ends it after 250 ms on an empty broker). */
  actor_default_ms: number;
  actor_report: ReconcileReport | null;
  actor_default_report: ReconcileReport | null;
  /** Actor start() to reconcile done (worker spawn, connect, render, publish). */
  actor_e2e_ms: number;
}

export interface DiscoveryResult extends DiscoveryCase {
  runs: DiscoveryRun[];
  messages: number;
  bare_msg_s: number;
  bare_windowed_msg_s: number;
  actor_msg_s: number;
  actor_default_msg_s: number;
  ratio: number;
  ratio_vs_windowed: number;
  ratio_default: number;
  actor_ms: number;
  actor_default_ms: number;
  bare_ms: number;
  actor_e2e_ms: number;
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

async function actorRun(port: number, mode: DiscoveryMode, n: number, collectMs: number | null): Promise<{ ms: number; e2e: number; report: ReconcileReport }> {
  const actor = createMqttActor({ mode: "worker", worker_log_level: "warn" });
  let last: ActorStateChange | null = null;
  const t0 = performance.now();
  try {
    await actor.start(
      {
        settings: mqttSettings(port, { discovery_mode: mode }),
        cameras: cameras(n),
        state: [],
        app_version: "0.1.0",
        instance_id: `bench-${process.pid}-${Math.random().toString(16).slice(2, 8)}`,
        options: collectMs === null ? {} : { retained_collect_ms: collectMs },
      },
      (c) => {
        last = c;
      },
    );
    await waitFor(() => (last?.health.reconciles_completed ?? 0) >= 1, 120_000, "the first reconcile", 10);
    const e2e = performance.now() - t0;
    const h = (last as ActorStateChange | null)!.health;
    const report = h.last_reconcile!;
    const since = Date.parse(h.connected_since ?? "");
    const finished = Date.parse(report.finished_at);
    // connected_since is the CONNACK time; finished_at is written after the last PUBACK.
    const ms = Number.isFinite(since) ? finished - since : report.duration_ms;
    return { ms, e2e, report };
  } finally {
    await actor.close();
  }
}

export async function benchDiscovery(cases: DiscoveryCase[], reps: number, log: (s: string) => void): Promise<DiscoveryResult[]> {
  const mosq: Mosquitto = await startMosquitto();
  const out: DiscoveryResult[] = [];
  try {
    for (const c of cases) {
      const ctx = discoveryContextFrom(mqttSettings(mosq.port, { discovery_mode: c.mode }), "0.1.0");
      const msgs = [{ topic: ctx.availability_topic, payload: "online" }, ...renderDiscovery(cameras(c.cameras), ctx)];
      const runs: DiscoveryRun[] = [];
      for (let r = 0; r < reps; r++) {
        await mosq.restart();
        const bareMs = await bare(mosq.url, msgs, false);
        await mosq.restart();
        const bareWinMs = await bare(mosq.url, msgs, true);
        await mosq.restart();
        const small = await actorRun(mosq.port, c.mode, c.cameras, 50);
        await mosq.restart();
        const def = await actorRun(mosq.port, c.mode, c.cameras, null);
        const run: DiscoveryRun = {
          messages: msgs.length,
          bare_ms: round(bareMs, 0),
          bare_windowed_ms: round(bareWinMs, 0),
          actor_ms: small.ms,
          actor_default_ms: def.ms,
          actor_report: small.report,
          actor_default_report: def.report,
          actor_e2e_ms: round(small.e2e, 0),
        };
        runs.push(run);
        log(`  discovery ${c.cameras} ${c.mode} rep ${r + 1}: bare ${run.bare_ms} ms, bare(windowed) ${run.bare_windowed_ms} ms, actor ${run.actor_ms} ms (collect 50), actor ${run.actor_default_ms} ms (default), e2e ${run.actor_e2e_ms} ms`);
        await sleep(100);
      }
      const rate = (ms: number) => round((msgs.length * 1000) / ms, 0);
      const bareMs = median(runs.map((r) => r.bare_ms));
      const bareWinMs = median(runs.map((r) => r.bare_windowed_ms));
      const actorMs = median(runs.map((r) => r.actor_ms));
      const actorDefMs = median(runs.map((r) => r.actor_default_ms));
      out.push({
        ...c,
        runs,
        messages: msgs.length,
        bare_ms: bareMs,
        actor_ms: actorMs,
        actor_default_ms: actorDefMs,
        actor_e2e_ms: median(runs.map((r) => r.actor_e2e_ms)),
        bare_msg_s: rate(bareMs),
        bare_windowed_msg_s: rate(bareWinMs),
        actor_msg_s: rate(actorMs),
        actor_default_msg_s: rate(actorDefMs),
        ratio: round(bareMs / actorMs, 2),
        ratio_vs_windowed: round(bareWinMs / actorMs, 2),
        ratio_default: round(bareMs / actorDefMs, 2),
      });
    }
  } finally {
    await mosq.stop();
  }
  return out;
}
