/**
 * Shared set-up for the events suite: the real app (startTestApp) wired to a supervised MQTT actor
 * (worker thread by default) against a real mosquitto on loopback, plus small HTTP helpers.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { createConnection } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import mqtt, { type MqttClient } from "mqtt";
import { appVersion } from "../../src/app.js";
import { createMqttActor, type SupervisedMqttActor } from "../../src/mqtt/supervisor.js";
import { initialStateMessages, StatePayloads } from "../../src/services/camera-state.js";
import { zonedClock } from "../../src/ha/time.js";
import { json, startTestApp, type TestApp } from "../helpers/app.js";
import { MOSQUITTO_BIN, freePort } from "../helpers/mosquitto.js";
import { FAST_OPTIONS, makeSettings } from "../helpers/mqtt-probe.js";

export interface EventRig {
  t: TestApp;
  actor: SupervisedMqttActor;
  close(): Promise<void>;
}

export async function startEventRig(brokerPort: number, env: Record<string, string> = {}, mode: "worker" | "inline" = "worker", dataDir?: string): Promise<EventRig> {
  let actor!: SupervisedMqttActor;
  const t = await startTestApp({
    env: { API_BASE_URL: "http://bridge.test:8080", ...env },
    ...(dataDir ? { dataDir } : {}),
    mqtt: async ({ config, store }) => {
      actor = createMqttActor({ mode, restart_min_ms: 50, restart_max_ms: 200 });
      const payloads = new StatePayloads(zonedClock(config.TIME_ZONE), config.apiBaseUrl);
      await actor.start(
        {
          settings: makeSettings(brokerPort, { ha_birth_delay_max_ms: 0 }),
          cameras: store.cameras.list(),
          state: initialStateMessages(store, payloads, config.ACTIVITY_TIMEOUT_S * 1000, "liveobject"),
          app_version: appVersion(),
          instance_id: `events-${brokerPort}-${Math.random().toString(16).slice(2, 8)}`,
          options: FAST_OPTIONS,
        },
        () => undefined,
      );
      return actor;
    },
  });
  return {
    t,
    actor,
    close: async () => {
      t.app.stop();
      await t.close();
    },
  };
}

export async function createCamera(t: TestApp, over: Record<string, unknown> = {}): Promise<{ id: string; name: string }> {
  const res = await t.request("/api/v1/cameras", json({ name: "Front door", type: "protect", is_doorbell: true, ...over }));
  if (res.status !== 201) throw new Error(`camera create: ${res.status} ${await res.text()}`);
  return (await res.json()) as { id: string; name: string };
}

export async function postEvent(t: TestApp, body: Record<string, unknown>): Promise<Response> {
  return t.request("/api/v1/events", json(body));
}

/** Posts `n` events with `concurrency` requests in flight; returns the created ids in post order. */
export async function postMany(t: TestApp, cameraId: string, n: number, concurrency: number, onProgress?: (done: number) => void): Promise<string[]> {
  const ids: string[] = new Array(n);
  let next = 0;
  let done = 0;
  const lane = async () => {
    while (next < n) {
      const i = next++;
      const res = await postEvent(t, { camera_id: cameraId, description: `event ${i}`, objects_detected: ["person"], confidence: 80 });
      if (res.status !== 201) throw new Error(`event ${i}: ${res.status} ${await res.text()}`);
      ids[i] = ((await res.json()) as { id: string }).id;
      done += 1;
      onProgress?.(done);
    }
  };
  await Promise.all(Array.from({ length: concurrency }, lane));
  return ids;
}

/**
 * A mosquitto with persistence on (saved every second), so a subscriber's persistent session and
 * its subscription survive a SIGKILL of the broker: messages published after the restart are
 * queued for the subscriber even before it reconnects. Unlimited queue for offline clients.
 */
export interface PersistentBroker {
  port: number;
  url: string;
  kill(): Promise<void>;
  start(): Promise<void>;
  stop(): Promise<void>;
}

export async function startPersistentBroker(): Promise<PersistentBroker> {
  const dir = mkdtempSync(join(tmpdir(), "argus-ev-mosq-"));
  chmodSync(dir, 0o777); // mosquitto started as root drops to its own user and must write its db here
  const port = await freePort();
  const conf = join(dir, "mosquitto.conf");
  writeFileSync(
    conf,
    [
      `listener ${port} 127.0.0.1`,
      "allow_anonymous true",
      "persistence true",
      `persistence_location ${dir}/`,
      "autosave_interval 1",
      "max_queued_messages 0",
      "max_inflight_messages 0",
      "log_dest stderr",
      "log_type error",
    ].join("\n") + "\n",
  );
  let child: ChildProcess | null = null;
  const up = () =>
    new Promise<boolean>((resolve) => {
      const s = createConnection({ host: "127.0.0.1", port });
      s.once("connect", () => (s.destroy(), resolve(true)));
      s.once("error", () => resolve(false));
    });
  const start = async () => {
    for (let attempt = 0; ; attempt++) {
      const c = spawn(MOSQUITTO_BIN, ["-c", conf], { stdio: ["ignore", "ignore", "pipe"] });
      child = c;
      const deadline = Date.now() + 3000;
      while (Date.now() < deadline && c.exitCode === null && !(await up())) await new Promise((r) => setTimeout(r, 20));
      if (c.exitCode === null && (await up())) return;
      if (attempt > 20) throw new Error("persistent mosquitto did not start");
      await new Promise((r) => setTimeout(r, 100));
    }
  };
  const kill = async () => {
    const c = child;
    child = null;
    if (!c || c.exitCode !== null) return;
    const gone = new Promise((r) => c.once("exit", r));
    c.kill("SIGKILL");
    await gone;
  };
  process.on("exit", () => child?.kill("SIGKILL"));
  await start();
  return {
    port,
    url: `mqtt://127.0.0.1:${port}`,
    kill,
    start,
    stop: async () => {
      await kill();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** Collects event_ids from `P/camera/+/event` (QoS 1), duplicates allowed; reconnects by itself. */
export class EventCollector {
  readonly seen = new Map<string, number>();
  received = 0;
  private constructor(readonly client: MqttClient) {}

  static async connect(url: string, opts: { persistent?: boolean } = {}): Promise<EventCollector> {
    const client = mqtt.connect(url, {
      protocolVersion: 4,
      clean: !opts.persistent,
      clientId: `collector-${Math.random().toString(16).slice(2, 10)}`,
      reconnectPeriod: 100,
      connectTimeout: 3000,
    });
    const c = new EventCollector(client);
    client.on("message", (_topic, payload) => {
      c.received += 1;
      try {
        const id = (JSON.parse(payload.toString()) as { event_id?: string }).event_id;
        if (id) c.seen.set(id, (c.seen.get(id) ?? 0) + 1);
      } catch {
        /* not ours */
      }
    });
    client.on("error", () => undefined);
    await new Promise<void>((resolve, reject) => {
      client.once("connect", () => resolve());
      client.once("error", reject);
    });
    await client.subscribeAsync("liveobject/camera/+/event", { qos: 1 });
    return c;
  }

  missing(ids: readonly string[]): string[] {
    return ids.filter((id) => !this.seen.has(id));
  }

  async close(): Promise<void> {
    await this.client.endAsync(true).catch(() => undefined);
  }
}

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
