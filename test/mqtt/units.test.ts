/**
 * Pure pieces (backoff, client options, mailbox) plus aedes-based actor tests, so this file
 * passes even on machines without mosquitto.
 */
import { test } from "uvu";
import * as assert from "uvu/assert";
import { Backoff } from "../../src/mqtt/backoff.js";
import { buildClientOptions, clientIdFor, connectionChanged } from "../../src/mqtt/client-options.js";
import { DiscoveryLoop, StaleJobError } from "../../src/mqtt/discovery-loop.js";
import { MqttActor } from "../../src/mqtt/actor.js";
import { startEmbeddedBroker } from "../../src/mqtt/embedded-broker.js";
import { discoveryContextFrom, renderDiscovery } from "../../src/ha/discovery.js";
import { FAST_OPTIONS, MqttProbe, captureLogger, makeCamera, makeSettings, retainedSnapshot, unhandled, waitUntil } from "../helpers/mqtt-probe.js";

test("backoff: exponential ceiling, full jitter within [min, ceiling], reset", () => {
  let r = 1;
  const b = new Backoff({ min_ms: 1000, max_ms: 60_000, random: () => r });
  const top = Array.from({ length: 9 }, () => b.next());
  assert.equal(top, [1000, 2000, 4000, 8000, 16000, 32000, 60000, 60000, 60000]);
  b.reset();
  r = 0;
  assert.is(b.next(), 1000, "lowest jitter is the minimum, never 0");
  const real = new Backoff({ min_ms: 1000, max_ms: 60_000 });
  for (let i = 0; i < 200; i++) {
    const d = real.next();
    assert.ok(d >= 1000 && d <= 60_000, `delay ${d} within bounds`);
  }
  assert.is(real.ceiling(1000), 60_000, "no overflow for huge attempt numbers");
  const samples = new Set(Array.from({ length: 50 }, () => new Backoff({ min_ms: 100, max_ms: 10_000 }).ceiling(3)));
  assert.equal([...samples], [800]);
});

test("client options: MQTT 5, retained qos1 will, own reconnect, short unique client id, TLS files", () => {
  const s = makeSettings(1883, { use_tls: true, tls_ca_file: "/x/ca.pem", tls_cert_file: "/x/c.pem", tls_key_file: "/x/k.pem", username: "u", password: "p" });
  const read: string[] = [];
  const o = buildClientOptions(s, { instance_id: "3f2a9c4e-1b7d-4e8f-9a0b-1c2d3e4f5a6b", protocol: "5.0", connect_timeout_ms: 4000 }, (p) => {
    read.push(p);
    return Buffer.from(`file:${p}`);
  });
  assert.is(o.protocolVersion, 5);
  assert.is(o.reconnectPeriod, 0);
  assert.is(o.connectTimeout, 4000);
  assert.is(o.protocol, "mqtts");
  assert.equal(read, ["/x/ca.pem", "/x/c.pem", "/x/k.pem"]);
  assert.is(String(o.ca), "file:/x/ca.pem");
  assert.equal({ ...o.will, payload: o.will!.payload.toString() }, { topic: "liveobject/status", payload: "offline", qos: 1, retain: true });
  assert.not.ok(o.will!.properties, "no expiry or delay on the retained will");
  assert.ok(o.clientId!.startsWith("argus-bridge-"));
  assert.ok(o.clientId!.length <= 23, o.clientId);
  assert.is(o.clientId, clientIdFor("3f2a9c4e-1b7d-4e8f-9a0b-1c2d3e4f5a6b"), "stable per instance");
  assert.is.not(clientIdFor("instance-a-very-long-1"), clientIdFor("instance-a-very-long-2"));
  assert.is(clientIdFor("abc"), "argus-bridge-abc");
  assert.is(buildClientOptions(makeSettings(1), { instance_id: "a", protocol: "3.1.1", connect_timeout_ms: 1 }).protocolVersion, 4);
  assert.ok(connectionChanged(makeSettings(1), makeSettings(2)));
  assert.not.ok(connectionChanged(makeSettings(1), makeSettings(1, { discovery_mode: "device" })));
});

test("mailbox: one consumer, posts while busy coalesce into exactly one more run", async () => {
  let running = 0;
  let maxRunning = 0;
  const runs: number[] = [];
  let release!: () => void;
  const loop = new DiscoveryLoop<{ n: number }>({
    isStale: () => false,
    run: async (job) => {
      running++;
      maxRunning = Math.max(maxRunning, running);
      runs.push(job.n);
      if (job.n === 0) await new Promise<void>((r) => (release = r));
      running--;
    },
  });
  const first = loop.post("reconcile", { n: 0 });
  await waitUntil(() => runs.length === 1, 1000, "first run");
  const later = Array.from({ length: 25 }, (_, i) => loop.post("reconcile", { n: i + 1 }));
  assert.is(loop.depth, 1, "25 posts while busy are one waiting job");
  release();
  assert.is(await first, "completed");
  const outcomes = await Promise.all(later);
  await loop.idle();
  assert.equal(runs, [0, 25], "exactly one more run, with the newest job");
  assert.ok(outcomes.every((o) => o === "completed"));
  assert.is(maxRunning, 1);
});

test("mailbox: stale jobs are abandoned quietly, failures never escape", async () => {
  let gen = 1;
  const errors: unknown[] = [];
  const abandoned: number[] = [];
  const loop = new DiscoveryLoop<{ gen: number; fail?: boolean }>({
    isStale: (j) => j.gen !== gen,
    run: async (j) => {
      if (j.fail) throw new Error("boom");
      gen = 2; // connection changed while running
      throw new StaleJobError();
    },
    onError: (_j, e) => errors.push(e),
    onAbandon: (j) => abandoned.push(j.gen),
  });
  assert.is(await loop.post("a", { gen: 1 }), "abandoned");
  assert.is(await loop.post("b", { gen: 1 }), "abandoned", "stale before it starts");
  assert.is(await loop.post("c", { gen: 2, fail: true }), "failed");
  assert.equal(abandoned, [1, 1]);
  assert.is(errors.length, 1);
  loop.close();
  assert.is(await loop.post("d", { gen: 2 }), "dropped");
});

test("aedes (3.1.1 only): actor falls back from MQTT 5 and publishes discovery", async () => {
  const broker = await startEmbeddedBroker();
  const log = captureLogger();
  const actor = new MqttActor({ logger: log.logger });
  const settings = makeSettings(broker.port);
  const cameras = [makeCamera("cam1"), makeCamera("cam2")];
  try {
    await actor.start({ settings, cameras, state: [], app_version: "1.2.3", instance_id: "units", options: FAST_OPTIONS }, () => undefined);
    await waitUntil(async () => (await actor.health()).reconciles_completed >= 1, 5000, "first reconcile");
    const st = await actor.status();
    assert.is(st.state, "connected");
    assert.is(st.protocol, "3.1.1");
    assert.is(st.connected, true);
    const snap = await retainedSnapshot(broker.url, ["homeassistant/#", "liveobject/#"]);
    const expected = renderDiscovery(cameras, discoveryContextFrom(settings, "1.2.3"));
    assert.is(snap.get("liveobject/status"), "online");
    for (const m of expected) assert.is(snap.get(m.topic), m.payload, m.topic);
    assert.is(snap.size, expected.length + 1);
    const t = await actor.testConnection({ broker_host: "127.0.0.1", broker_port: broker.port, username: null, password: null, use_tls: false });
    assert.is(t.success, true, t.message);
    assert.is(t.protocol, "3.1.1");
    assert.is(log.errors().length, 0, log.text());
  } finally {
    await actor.stop();
    await broker.stop();
  }
  assert.is(unhandled.length, 0);
});

test("aedes: stop() publishes the will payload retained and counts it", async () => {
  const broker = await startEmbeddedBroker();
  const actor = new MqttActor({ logger: captureLogger().logger });
  try {
    await actor.start({ settings: makeSettings(broker.port), cameras: [], state: [], app_version: "1", instance_id: "units2", options: FAST_OPTIONS }, () => undefined);
    await waitUntil(async () => (await actor.health()).reconciles_completed >= 1, 5000, "reconcile");
    const before = (await actor.status()).messages_published;
    await actor.stop();
    assert.is((await actor.status()).messages_published, before + 1, "offline message counted");
    assert.is((await actor.status()).state, "stopped");
    const snap = await retainedSnapshot(broker.url, ["liveobject/#"]);
    assert.is(snap.get("liveobject/status"), "offline");
  } finally {
    await actor.stop();
    await broker.stop();
  }
});

test("aedes streams retained configs after the SUBACK: the sync barrier still sees every one", async () => {
  const broker = await startEmbeddedBroker();
  const cams = Array.from({ length: 100 }, (_, i) => makeCamera(`late${String(i).padStart(3, "0")}`));
  const settings = makeSettings(broker.port);
  const first = new MqttActor({ logger: captureLogger().logger });
  const second = new MqttActor({ logger: captureLogger().logger });
  try {
    await first.start({ settings, cameras: cams, state: [], app_version: "1", instance_id: "late", options: FAST_OPTIONS }, () => undefined);
    await waitUntil(async () => (await first.health()).reconciles_completed >= 1, 10_000, "first publish");
    assert.is(first.reports[0]!.configs_sent, 600);
    await first.stop();
    // A long quiet window: if collection ended on the quiet window the barrier would not matter, so
    // the budget is the default and the test checks nothing is missed when it ends early.
    await second.start({ settings, cameras: cams, state: [], app_version: "1", instance_id: "late", options: { ...FAST_OPTIONS, retained_collect_ms: 2000 } }, () => undefined);
    await waitUntil(async () => (await second.health()).reconciles_completed >= 1, 10_000, "second reconcile");
    const r = second.reports[0]!;
    assert.is(r.configs_skipped, 600, "every retained config was collected before the plan");
    assert.is(r.configs_sent, 0);
    assert.is(second.lastCollectEnd, "quiet", "aedes is not mosquitto: the barrier alone does not end it");
  } finally {
    await first.stop();
    await second.stop();
    await broker.stop();
  }
});

test("not connected: deliver answers at once, never hangs", async () => {
  const actor = new MqttActor({ logger: captureLogger().logger });
  try {
    // Port 1 on loopback: nothing listens, connection refused, actor retries in backoff.
    await actor.start({ settings: makeSettings(1), cameras: [], state: [], app_version: "1", instance_id: "u3", options: FAST_OPTIONS }, () => undefined);
    const t0 = Date.now();
    const r = await actor.deliver([{ id: 7, topic: "liveobject/camera/x/event", payload: "{}", qos: 1, retain: false, expiry_seconds: 60, remember: false }]);
    assert.equal(r, { delivered: [], error: "not connected" });
    assert.ok(Date.now() - t0 < 100);
    const pd = await actor.publishDiscovery();
    assert.equal(pd.ok, false);
    if (!pd.ok) assert.is(pd.reason, "not_connected");
    await waitUntil(async () => (await actor.status()).reconnect_attempt >= 2, 3000, "retries");
    assert.ok(["reconnecting", "connecting"].includes((await actor.status()).state));
  } finally {
    await actor.stop();
  }
});

test.run();
