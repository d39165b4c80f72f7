/**
 * Reconnect: the MQTT actor (worker thread, default options) holds 1,000 cameras and their retained
 * statuses; mosquitto (persistence off, so it comes back empty) is SIGKILLed and restarted. A
 * subscriber standing in for Home Assistant connects as soon as the broker is back and waits until it
 * has seen availability "online", every discovery config and every status. The budget is the backoff
 * delay the actor chose (its own next_retry_in_ms when it reported the drop) + 1 s.
 */
import mqtt from "mqtt";
import { discoveryContextFrom, renderDiscovery } from "../src/ha/discovery.js";
import { statusPayload } from "../src/ha/state-payloads.js";
import { cameraStateTopics } from "../src/ha/topics.js";
import type { ActorStateChange } from "../src/mqtt/contract.js";
import { createMqttActor } from "../src/mqtt/supervisor.js";
import { startMosquitto } from "../test/helpers/mosquitto.js";
import { BROKER_PROFILES, type BrokerProfile } from "./discovery.js";
import { cameras, median, mqttSettings, round, sleep, waitFor } from "./lib.js";

export interface ReconnectRun {
  broker_down_ms: number;
  delay_ms: number;
  /** SIGKILL -> the actor reporting the drop with its retry delay. */
  detect_ms: number;
  total_ms: number;
  after_connect_ms: number;
  budget_ms: number;
}

export interface ReconnectResult extends ReconnectRun {
  profile: BrokerProfile;
  runs: ReconnectRun[];
  messages: number;
  cameras: number;
}

export async function benchReconnect(opts: { cameras: number; reps: number; profile: BrokerProfile }, log: (s: string) => void): Promise<ReconnectResult> {
  const mosq = await startMosquitto({ brokerConfig: [...BROKER_PROFILES[opts.profile]] });
  const settings = mqttSettings(mosq.port);
  const cams = cameras(opts.cameras);
  const ctx = discoveryContextFrom(settings, "0.1.0");
  const configTopics = new Set(renderDiscovery(cams, ctx).map((m) => m.topic));
  const state = cams.map((c) => ({ topic: cameraStateTopics(settings.topic_prefix, c.id).status, payload: JSON.stringify(statusPayload(c, "online", new Date())) }));
  const statusTopics = new Set(state.map((s) => s.topic));
  const actor = createMqttActor({ mode: "worker", worker_log_level: "warn" });
  const changes: Array<{ at: number; change: ActorStateChange }> = [];
  const runs: ReconnectRun[] = [];
  try {
    await actor.start({ settings, cameras: cams, state, app_version: "0.1.0", instance_id: `bench-reconnect-${process.pid}` }, (change) => {
      changes.push({ at: Date.now(), change });
    });
    await waitFor(() => changes.some((c) => c.change.health.reconciles_completed >= 1), 60_000, "the first reconcile");
    for (let r = 0; r < opts.reps; r++) {
      await sleep(500);
      const before = changes.length;
      const completedBefore = changes[changes.length - 1]!.change.health.reconciles_completed;
      const tKill = Date.now();
      await mosq.kill();
      await mosq.restart();
      const tUp = Date.now();

      const seenConfig = new Set<string>();
      const seenStatus = new Set<string>();
      let online = false;
      let tDone = 0;
      const probe = mqtt.connect(mosq.url, { protocolVersion: 5, reconnectPeriod: 0, clientId: `bench-ha-${process.pid}-${r}` });
      await new Promise<void>((resolve, reject) => {
        probe.once("connect", () => resolve());
        probe.once("error", reject);
      });
      probe.on("message", (topic, payload) => {
        const p = payload.toString();
        if (topic === ctx.availability_topic) online = p === "online";
        else if (configTopics.has(topic) && p !== "") seenConfig.add(topic);
        else if (statusTopics.has(topic) && p !== "") seenStatus.add(topic);
        if (!tDone && online && seenConfig.size === configTopics.size && seenStatus.size === statusTopics.size) tDone = Date.now();
      });
      await probe.subscribeAsync([`${settings.discovery_prefix}/#`, `${settings.topic_prefix}/#`], { qos: 0 });
      try {
        await waitFor(() => tDone > 0, 30_000, "availability, every config and every status", 5);
      } catch (e) {
        log(`  reconnect rep ${r + 1}: ${(e as Error).message} (configs ${seenConfig.size}/${configTopics.size}, statuses ${seenStatus.size}/${statusTopics.size}, online ${online})`);
      }
      await probe.endAsync(true);
      await waitFor(() => changes.slice(before).some((c) => c.change.health.reconciles_completed > completedBefore), 30_000, "the reconcile report");
      // The delay the actor chose: its first report after the drop that carries next_retry_in_ms.
      const drop = changes.slice(before).find((c) => c.change.status.next_retry_in_ms !== null);
      const delay = drop ? drop.change.status.next_retry_in_ms! : NaN;
      const detect = drop ? drop.at - tKill : NaN;
      const connectedAt = Date.parse(changes.slice(before).find((c) => c.change.status.connected)?.change.health.connected_since ?? "");
      const run: ReconnectRun = {
        broker_down_ms: tUp - tKill,
        delay_ms: round(delay, 0),
        total_ms: tDone ? tDone - tKill : NaN,
        after_connect_ms: tDone && Number.isFinite(connectedAt) ? tDone - connectedAt : NaN,
        detect_ms: detect,
        budget_ms: round(detect + delay + 1000, 0),
      };
      runs.push(run);
      log(`  reconnect ${opts.profile} rep ${r + 1}: broker down ${run.broker_down_ms} ms, delay ${run.delay_ms} ms, all seen after ${run.total_ms} ms (${run.after_connect_ms} ms after CONNACK), budget ${run.budget_ms} ms`);
    }
  } finally {
    await actor.close();
    await mosq.stop();
  }
  return {
    profile: opts.profile,
    cameras: opts.cameras,
    messages: 1 + configTopics.size + statusTopics.size,
    runs,
    broker_down_ms: median(runs.map((r) => r.broker_down_ms)),
    delay_ms: median(runs.map((r) => r.delay_ms)),
    detect_ms: median(runs.map((r) => r.detect_ms)),
    total_ms: median(runs.map((r) => r.total_ms)),
    after_connect_ms: median(runs.map((r) => r.after_connect_ms)),
    budget_ms: median(runs.map((r) => r.budget_ms)),
  };
}
