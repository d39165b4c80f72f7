/**
 * A plain MQTT.js subscriber that records everything it receives, standing in for Home Assistant.
 * `retainedSnapshot` answers "what does a fresh subscriber see retained right now?".
 */
import mqtt, { type MqttClient } from "mqtt";

export interface Received {
  topic: string;
  payload: string;
  retain: boolean;
  at: number;
}

export class MqttProbe {
  readonly messages: Received[] = [];
  private constructor(readonly client: MqttClient) {}

  static async connect(url: string, topics: string[], opts: { protocolVersion?: 4 | 5; username?: string; password?: string } = {}): Promise<MqttProbe> {
    const client = mqtt.connect(url, {
      protocolVersion: opts.protocolVersion ?? 4,
      reconnectPeriod: 0,
      connectTimeout: 5000,
      clientId: `probe-${Math.random().toString(16).slice(2, 10)}`,
      ...(opts.username ? { username: opts.username, password: opts.password ?? "" } : {}),
    });
    await new Promise<void>((resolve, reject) => {
      client.once("connect", () => resolve());
      client.once("error", reject);
    });
    const probe = new MqttProbe(client);
    client.on("message", (topic, payload, packet) => {
      probe.messages.push({ topic, payload: payload.toString(), retain: packet.retain, at: Date.now() });
    });
    if (topics.length > 0) await client.subscribeAsync(topics, { qos: 1 });
    return probe;
  }

  on(topic: string): Received[] {
    return this.messages.filter((m) => m.topic === topic);
  }

  clear(): void {
    this.messages.length = 0;
  }

  async waitFor(pred: (msgs: Received[]) => boolean, timeoutMs = 5000, what = "condition"): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!pred(this.messages)) {
      if (Date.now() > deadline) throw new Error(`probe timed out waiting for ${what}; got ${this.messages.length} messages`);
      await new Promise((r) => setTimeout(r, 20));
    }
  }

  async publish(topic: string, payload: string, retain = false): Promise<void> {
    await this.client.publishAsync(topic, payload, { qos: 1, retain });
  }

  async close(): Promise<void> {
    await this.client.endAsync(true).catch(() => undefined);
  }
}

/**
 * Connects a fresh subscriber, collects retained messages under `filters` until no new one arrived
 * for `quietMs`, and returns them as topic -> payload (what Home Assistant would load on start).
 */
export async function retainedSnapshot(url: string, filters: string[], quietMs = 250): Promise<Map<string, string>> {
  const probe = await MqttProbe.connect(url, filters);
  try {
    let count = -1;
    let stableSince = Date.now();
    for (;;) {
      await new Promise((r) => setTimeout(r, 25));
      if (probe.messages.length !== count) {
        count = probe.messages.length;
        stableSince = Date.now();
      } else if (Date.now() - stableSince >= quietMs) break;
    }
    const map = new Map<string, string>();
    for (const m of probe.messages) if (m.retain) map.set(m.topic, m.payload);
    return map;
  } finally {
    await probe.close();
  }
}

/** Polls until `pred` holds; throws with `what` on timeout. */
export async function waitUntil(pred: () => boolean | Promise<boolean>, timeoutMs = 5000, what = "condition"): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await pred())) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

// ---------------------------------------------------------------- fixtures shared by test/mqtt

import { Writable } from "node:stream";
import pino, { type Logger } from "pino";
import type { Camera } from "../../src/domain/camera.js";
import type { ActorOptions } from "../../src/mqtt/contract.js";
import { defaultMqttSettings, type MqttSettings } from "../../src/mqtt/settings.js";

export function makeSettings(port: number, over: Partial<MqttSettings> = {}): MqttSettings {
  return defaultMqttSettings({ broker_host: "127.0.0.1", broker_port: port, ha_birth_delay_max_ms: 30, ...over });
}

export function makeCamera(id: string, over: Partial<Camera> = {}): Camera {
  return {
    id,
    name: `Camera ${id}`,
    type: "rtsp",
    source_type: "rtsp",
    is_doorbell: false,
    is_enabled: true,
    created_at: "2025-01-01T00:00:00.000Z",
    updated_at: "2025-01-01T00:00:00.000Z",
    ...over,
  };
}

/** Short timings so reconnect tests take milliseconds, not minutes. */
export const FAST_OPTIONS: Partial<ActorOptions> = {
  reconnect_min_ms: 50,
  reconnect_max_ms: 400,
  connect_timeout_ms: 2000,
  retained_collect_ms: 300,
  render_pool_threshold: 1000,
  render_pool_threads: 2,
};

export interface CapturedLog {
  logger: Logger;
  lines: Array<Record<string, unknown>>;
  errors(): Array<Record<string, unknown>>;
  text(): string;
}

/** A pino logger that keeps every line in memory (level >= 50 are errors). */
export function captureLogger(): CapturedLog {
  const lines: Array<Record<string, unknown>> = [];
  const raw: string[] = [];
  const stream = new Writable({
    write(chunk, _enc, cb) {
      const s = chunk.toString();
      raw.push(s);
      for (const line of s.split("\n")) if (line.trim()) lines.push(JSON.parse(line) as Record<string, unknown>);
      cb();
    },
  });
  const logger = pino({ level: "debug" }, stream);
  return {
    logger,
    lines,
    errors: () => lines.filter((l) => typeof l.level === "number" && l.level >= 50),
    text: () => raw.join(""),
  };
}

/** Records unhandled rejections for the whole test file. */
export const unhandled: unknown[] = [];
process.on("unhandledRejection", (e) => {
  unhandled.push(e);
});
