/**
 * Discovery against a real mosquitto (one per test, loopback, free port). Assertions are on what a
 * fresh Home Assistant-like subscriber sees retained, never on mocks.
 */
import { test } from "uvu";
import * as assert from "uvu/assert";
import { MqttActor } from "../../src/mqtt/actor.js";
import type { ActorInit, OutboundMessage, StateMessage } from "../../src/mqtt/contract.js";
import type { MqttSettings } from "../../src/mqtt/settings.js";
import type { Camera } from "../../src/domain/camera.js";
import { discoveryContextFrom, renderDiscovery } from "../../src/ha/discovery.js";
import { mosquittoTest, startMosquitto, killAllMosquitto, type Mosquitto } from "../helpers/mosquitto.js";
import { FAST_OPTIONS, MqttProbe, captureLogger, makeCamera, makeSettings, retainedSnapshot, unhandled, waitUntil, type CapturedLog } from "../helpers/mqtt-probe.js";

const VERSION = "2.0.0";
const ENTITY_KINDS = ["sensor/liveobject_{id}_event", "sensor/liveobject_{id}_status", "sensor/liveobject_{id}_last_event", "sensor/liveobject_{id}_events_today", "sensor/liveobject_{id}_events_week", "binary_sensor/liveobject_{id}_activity"];
const entityTopics = (id: string) => ENTITY_KINDS.map((k) => `homeassistant/${k.replace("{id}", id)}/config`);
const deviceTopic = (id: string) => `homeassistant/device/liveobject_${id}/config`;

interface Rig {
  broker: Mosquitto;
  actor: MqttActor;
  log: CapturedLog;
  settings: MqttSettings;
}

async function rig(cameras: Camera[], over: Partial<MqttSettings> = {}, state: StateMessage[] = []): Promise<Rig> {
  const broker = await startMosquitto();
  const log = captureLogger();
  const actor = new MqttActor({ logger: log.logger });
  const settings = makeSettings(broker.port, over);
  const init: ActorInit = { settings, cameras, state, app_version: VERSION, instance_id: `disc-${broker.port}`, options: FAST_OPTIONS };
  await actor.start(init, () => undefined);
  return { broker, actor, log, settings };
}

async function settle(actor: MqttActor, completed: number): Promise<void> {
  await waitUntil(async () => (await actor.health()).reconciles_completed >= completed, 8000, `${completed} reconciles`);
  await actor.whenIdle();
}

async function done(r: Rig): Promise<void> {
  await r.actor.stop().catch(() => undefined);
  await r.broker.stop();
}

/** Retained discovery topics a fresh subscriber sees. */
async function discoveryTopics(url: string): Promise<string[]> {
  return [...(await retainedSnapshot(url, ["homeassistant/#"])).keys()].sort();
}

const t = mosquittoTest(test, unhandled);

t("a fresh homeassistant/# subscriber sees exactly the configs of 2 cameras", async () => {
  const cams = [makeCamera("cam1"), makeCamera("cam2", { is_doorbell: true, source_type: "protect", type: "protect" })];
  const r = await rig(cams);
  try {
    await settle(r.actor, 1);
    const snap = await retainedSnapshot(r.broker.url, ["homeassistant/#"]);
    assert.equal([...snap.keys()].sort(), [...entityTopics("cam1"), ...entityTopics("cam2")].sort());
    const expected = renderDiscovery(cams, discoveryContextFrom(r.settings, VERSION));
    for (const m of expected) assert.is(snap.get(m.topic), m.payload);
    const ev = JSON.parse(snap.get("homeassistant/sensor/liveobject_cam2_event/config")!);
    assert.is(ev.unique_id, "liveobject_cam2_event");
    assert.is(ev.availability_topic, "liveobject/status");
    assert.is(ev.state_topic, "liveobject/camera/cam2/event");
    assert.is(ev.icon, "mdi:doorbell-video");
  } finally {
    await done(r);
  }
});

t("test_on_connect_publishes_discovery: birth first, then configs, then state", async () => {
  const broker = await startMosquitto();
  const probe = await MqttProbe.connect(broker.url, ["homeassistant/#", "liveobject/#"]);
  const actor = new MqttActor({ logger: captureLogger().logger });
  try {
    const settings = makeSettings(broker.port);
    const state = [{ topic: "liveobject/camera/cam1/status", payload: '{"status":"online"}' }];
    await actor.start({ settings, cameras: [makeCamera("cam1")], state, app_version: VERSION, instance_id: "pub", options: FAST_OPTIONS }, () => undefined);
    await settle(actor, 1);
    await probe.waitFor((m) => m.some((x) => x.topic === "liveobject/camera/cam1/status"), 3000, "state");
    const order = probe.messages.map((m) => m.topic);
    assert.is(order[0], "liveobject/status", "availability birth first");
    assert.is(probe.messages[0]!.payload, "online");
    const firstConfig = order.findIndex((x) => x.startsWith("homeassistant/"));
    assert.ok(firstConfig > 0);
    assert.ok(order.indexOf("liveobject/camera/cam1/status") > order.lastIndexOf(entityTopics("cam1")[5]!), "state after configs");
    assert.is(order.filter((x) => x.startsWith("homeassistant/")).length, 6);
    const h = await actor.health();
    assert.is(h.last_reconcile!.configs_sent, 6);
    assert.is(h.last_reconcile!.states_sent, 1);
    assert.is(h.last_reconcile!.reason, "connect");
    // birth + the sync barrier (see collectRetained) + 6 configs + 1 state
    assert.is((await actor.status()).messages_published, 9);
    const barrier = probe.messages.filter((m) => m.topic.startsWith("liveobject/bridge/sync/"));
    assert.is(barrier.length, 1, "one non-retained sync barrier per collection");
    assert.is(barrier[0]!.retain, false);
  } finally {
    await probe.close();
    await actor.stop();
    await broker.stop();
  }
});

t("test_on_connect_from_sync_context: connect while idle -> exactly one reconcile", async () => {
  const r = await rig([makeCamera("cam1")]);
  try {
    await settle(r.actor, 1);
    await new Promise((res) => setTimeout(res, 400));
    const h = await r.actor.health();
    assert.is(h.reconciles_completed, 1);
    assert.is(h.reconciles_abandoned, 0);
    assert.is(h.failures, 0);
    assert.is(h.generation, 1);
    assert.equal(r.actor.reports.map((x) => [x.reason, x.generation]), [["connect", 1]]);
    assert.is(r.log.errors().length, 0, r.log.text());
  } finally {
    await done(r);
  }
});

t("test_on_connect_from_async_context: connect while a reconcile runs -> one more complete reconcile, no error", async () => {
  const r = await rig([makeCamera("cam1"), makeCamera("cam2")]);
  let release!: () => void;
  const gate = new Promise<void>((res) => (release = res));
  r.actor.testHooks.afterCollect = async (gen) => {
    if (gen !== 1) return;
    r.actor.dropConnection(); // the network drops in the middle of the reconcile ...
    await gate; // ... and the job stays busy while the client reconnects
  };
  try {
    await waitUntil(() => r.actor.currentGeneration === 2, 5000, "reconnect while reconcile 1 is busy");
    const during = await r.actor.health();
    assert.is(during.reconcile_running, true, "reconcile 1 still running");
    await waitUntil(async () => (await r.actor.health()).queue_depth === 1, 2000, "reconcile 2 queued");
    release();
    await settle(r.actor, 1);
    const h = await r.actor.health();
    assert.is(h.reconciles_completed, 1, "exactly one complete reconcile");
    assert.is(h.reconciles_abandoned, 1, "the stale one was abandoned");
    assert.is(h.failures, 0);
    assert.equal(r.actor.reports.map((x) => [x.reason, x.generation]), [["connect", 2]]);
    assert.is(r.actor.maxConcurrentJobs, 1);
    assert.is(r.log.errors().length, 0, r.log.text());
    assert.equal(await discoveryTopics(r.broker.url), [...entityTopics("cam1"), ...entityTopics("cam2")].sort());
  } finally {
    release();
    await done(r);
  }
});

t("posts while busy (HA births) coalesce into exactly one more reconcile", async () => {
  const r = await rig([makeCamera("cam1")], { ha_birth_delay_max_ms: 0 });
  let release!: () => void;
  const gate = new Promise<void>((res) => (release = res));
  r.actor.testHooks.afterCollect = async () => {
    r.actor.testHooks.afterCollect = undefined;
    await gate;
  };
  const ha = await MqttProbe.connect(r.broker.url, []);
  try {
    await waitUntil(async () => (await r.actor.health()).reconcile_running, 5000, "reconcile running");
    for (let i = 0; i < 5; i++) {
      await ha.publish("homeassistant/status", "online");
      await new Promise((res) => setTimeout(res, 15));
    }
    await waitUntil(async () => (await r.actor.health()).queue_depth === 1, 2000, "one queued");
    release();
    await settle(r.actor, 2);
    await new Promise((res) => setTimeout(res, 200));
    assert.equal(r.actor.reports.map((x) => x.reason), ["connect", "ha_birth"]);
    assert.is(r.actor.maxConcurrentJobs, 1);
  } finally {
    release();
    await ha.close();
    await done(r);
  }
});

t("HA birth 'online' -> configs and state republished (e.g. after HA lost them)", async () => {
  const state = [{ topic: "liveobject/camera/cam1/status", payload: '{"status":"online"}' }];
  const r = await rig([makeCamera("cam1")], { ha_birth_delay_max_ms: 50 }, state);
  const ha = await MqttProbe.connect(r.broker.url, ["homeassistant/sensor/#", "homeassistant/binary_sensor/#", "liveobject/#"]);
  try {
    await settle(r.actor, 1);
    // Someone wiped the retained configs; HA restarts and announces itself.
    for (const topic of entityTopics("cam1")) await ha.publish(topic, "", true);
    assert.equal(await discoveryTopics(r.broker.url), []);
    ha.clear();
    await ha.publish("homeassistant/status", "online");
    await settle(r.actor, 2);
    assert.is(r.actor.reports.at(-1)!.reason, "ha_birth");
    assert.equal(await discoveryTopics(r.broker.url), entityTopics("cam1").sort());
    assert.ok(ha.on("liveobject/camera/cam1/status").length >= 1, "state republished");
    assert.ok(ha.on("liveobject/status").some((m) => m.payload === "online"), "availability republished");
    // A live publish with the retain flag is still a birth (brokers clear the flag on delivery) ...
    await ha.publish("homeassistant/status", "online", true);
    await settle(r.actor, 3);
    // ... but the retained copy echoed on (re)subscribe is history: a reconnect is one reconcile.
    r.actor.dropConnection();
    await waitUntil(() => r.actor.currentGeneration === 2, 5000, "reconnect");
    await settle(r.actor, 4);
    await new Promise((res) => setTimeout(res, 300));
    assert.equal(r.actor.reports.map((x) => x.reason), ["connect", "ha_birth", "ha_birth", "connect"]);
  } finally {
    await ha.close();
    await done(r);
  }
});

t("delete, disable, re-enable and rename: retained set follows, unique_id unchanged", async () => {
  const r = await rig([makeCamera("cam1"), makeCamera("cam2"), makeCamera("cam3")]);
  try {
    await settle(r.actor, 1);
    await r.actor.publishState([{ topic: "liveobject/camera/cam2/status", payload: '{"status":"online"}' }]);
    await r.actor.removeCamera("cam2");
    await r.actor.upsertCamera(makeCamera("cam3", { is_enabled: false }));
    await r.actor.whenIdle();
    assert.equal(await discoveryTopics(r.broker.url), entityTopics("cam1").sort());
    const states = await retainedSnapshot(r.broker.url, ["liveobject/camera/#"]);
    assert.not.ok(states.has("liveobject/camera/cam2/status"), "removed camera's state cleared");

    await r.actor.upsertCamera(makeCamera("cam3", { is_enabled: true }));
    await r.actor.upsertCamera(makeCamera("cam1", { name: "Front door" }));
    await r.actor.whenIdle();
    const snap = await retainedSnapshot(r.broker.url, ["homeassistant/#"]);
    assert.equal([...snap.keys()].sort(), [...entityTopics("cam1"), ...entityTopics("cam3")].sort(), "cam3 back at once, no reconnect");
    const ev = JSON.parse(snap.get("homeassistant/sensor/liveobject_cam1_event/config")!);
    assert.is(ev.unique_id, "liveobject_cam1_event");
    assert.is(ev.device.name, "Front door");
    // Camera changes are jobs, not reconciles.
    assert.is((await r.actor.health()).reconciles_completed, 1);
  } finally {
    await done(r);
  }
});

t("discovery toggle off clears all ours (not others'), on publishes again", async () => {
  const r = await rig([makeCamera("cam1"), makeCamera("cam2")]);
  const other = await MqttProbe.connect(r.broker.url, []);
  try {
    await settle(r.actor, 1);
    await other.publish("homeassistant/sensor/zigbee_temp/config", '{"name":"t","state_topic":"z2m/t","availability_topic":"z2m/status"}', true);
    await r.actor.updateSettings({ ...r.settings, discovery_enabled: false });
    await settle(r.actor, 2);
    assert.equal(await discoveryTopics(r.broker.url), ["homeassistant/sensor/zigbee_temp/config"]);
    const pd = await r.actor.publishDiscovery();
    assert.equal(pd, { ok: false, reason: "discovery_disabled", message: "Home Assistant discovery is disabled" });
    await r.actor.updateSettings({ ...r.settings, discovery_enabled: true });
    await settle(r.actor, 3);
    assert.equal(await discoveryTopics(r.broker.url), [...entityTopics("cam1"), ...entityTopics("cam2"), "homeassistant/sensor/zigbee_temp/config"].sort());
    const again = await r.actor.publishDiscovery();
    assert.equal(again, { ok: true, cameras_published: 2 });
    assert.is(r.actor.reports.at(-1)!.configs_skipped, 12, "unchanged configs are not re-sent");
    assert.is(r.actor.lastCollectEnd, "barrier", "mosquitto: the sync barrier's echo ends the collection");
  } finally {
    await other.close();
    await done(r);
  }
});

t("entity <-> device mode switch leaves no ghost configs", async () => {
  const r = await rig([makeCamera("cam1"), makeCamera("cam2")]);
  const watcher = await MqttProbe.connect(r.broker.url, ["homeassistant/#"]);
  try {
    await settle(r.actor, 1);
    watcher.clear();
    await r.actor.updateSettings({ ...r.settings, discovery_mode: "device" });
    await settle(r.actor, 2);
    assert.equal(await discoveryTopics(r.broker.url), [deviceTopic("cam1"), deviceTopic("cam2")].sort());
    // HA's documented order: migrate markers on old topics, new device config, then clear old.
    const seq = watcher.messages.filter((m) => m.topic === entityTopics("cam1")[0]).map((m) => m.payload);
    assert.is(seq.length, 2);
    assert.ok(seq[0]!.includes("migrate_discovery"));
    assert.is(seq[1], "");
    const dev = JSON.parse((await retainedSnapshot(r.broker.url, [deviceTopic("cam1")])).get(deviceTopic("cam1"))!);
    assert.is(dev.cmps.event.unique_id, "liveobject_cam1_event", "unique_ids survive the switch");

    await r.actor.updateSettings({ ...r.settings, discovery_mode: "entity" });
    await settle(r.actor, 3);
    assert.equal(await discoveryTopics(r.broker.url), [...entityTopics("cam1"), ...entityTopics("cam2")].sort());
  } finally {
    await watcher.close();
    await done(r);
  }
});

t("deliver: in order, PUBACKed ids, remember updates retained state, expiry only on events", async () => {
  const r = await rig([makeCamera("cam1")]);
  const sub = await MqttProbe.connect(r.broker.url, ["liveobject/camera/#"], { protocolVersion: 5 });
  try {
    await settle(r.actor, 1);
    const msgs: OutboundMessage[] = Array.from({ length: 20 }, (_, i) => ({
      id: 100 + i,
      topic: "liveobject/camera/cam1/event",
      payload: JSON.stringify({ n: i }),
      qos: 1 as const,
      retain: false,
      expiry_seconds: 120,
      remember: false,
    }));
    msgs.push({ id: 200, topic: "liveobject/camera/cam1/activity", payload: '{"state":"ON"}', qos: 1, retain: true, expiry_seconds: null, remember: true });
    const res = await r.actor.deliver(msgs);
    assert.equal(res, { delivered: msgs.map((m) => m.id), error: null });
    await sub.waitFor((m) => m.length >= 21, 3000, "21 messages");
    assert.equal(sub.on("liveobject/camera/cam1/event").map((m) => JSON.parse(m.payload).n), Array.from({ length: 20 }, (_, i) => i));
    // The remembered message comes back on the next reconcile, even after the broker lost it.
    await sub.publish("liveobject/camera/cam1/activity", "", true);
    const pd = await r.actor.publishDiscovery();
    assert.ok(pd.ok);
    const snap = await retainedSnapshot(r.broker.url, ["liveobject/camera/#"]);
    assert.is(snap.get("liveobject/camera/cam1/activity"), '{"state":"ON"}');
    const tm = await r.actor.publishTestMessage();
    assert.equal(tm, { ok: true, topic: "liveobject/test" });
  } finally {
    await sub.close();
    await done(r);
  }
});

t("testConnection: separate client, saves nothing, never echoes the password", async () => {
  const broker = await startMosquitto({ users: [{ username: "argus", password: "s3cret-pw" }] });
  const actor = new MqttActor({ logger: captureLogger().logger });
  try {
    const ok = await actor.testConnection({ broker_host: "127.0.0.1", broker_port: broker.port, username: "argus", password: "s3cret-pw", use_tls: false });
    assert.is(ok.success, true, ok.message);
    assert.is(ok.protocol, "5.0");
    const bad = await actor.testConnection({ broker_host: "127.0.0.1", broker_port: broker.port, username: "argus", password: "wrong-pw-123", use_tls: false });
    assert.is(bad.success, false);
    assert.match(bad.message, /not authorized/);
    assert.not.ok(bad.message.includes("wrong-pw-123"));
    const t0 = Date.now();
    const closed = await actor.testConnection({ broker_host: "127.0.0.1", broker_port: 1, username: null, password: null, use_tls: false, timeout_ms: 1000 });
    assert.is(closed.success, false);
    assert.ok(Date.now() - t0 < 2000);
    assert.is((await actor.status()).state, "disabled", "nothing saved, no connection started");
  } finally {
    await actor.stop();
    await broker.stop();
  }
});

t("600 cameras: render pool, pipelined publish, second connect skips every unchanged config", async () => {
  const cams = Array.from({ length: 600 }, (_, i) => makeCamera(`bulk${String(i).padStart(4, "0")}`));
  const broker = await startMosquitto();
  const actor = new MqttActor({ logger: captureLogger().logger });
  try {
    const options = { ...FAST_OPTIONS, render_pool_threshold: 100 };
    await actor.start({ settings: makeSettings(broker.port), cameras: cams, state: [], app_version: VERSION, instance_id: "bulk", options }, () => undefined);
    await settle(actor, 1);
    assert.is(actor.pooledRenders, 1, "rendered in the piscina pool");
    assert.is(actor.reports[0]!.configs_sent, 3600);
    actor.dropConnection();
    await settle(actor, 2);
    const second = actor.reports[1]!;
    assert.is(second.configs_skipped, 3600, "no discovery storm on reconnect");
    assert.is(second.configs_sent, 0);
    assert.is((await actor.health()).failures, 0);
  } finally {
    await actor.stop();
    await broker.stop();
  }
});

test.run();
