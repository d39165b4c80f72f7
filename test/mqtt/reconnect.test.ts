/**
 * Reconnect behaviour against a real mosquitto: broker SIGKILL/restart (persistence off, so every
 * retained message is lost), socket drops, refused credentials, and 50 rapid cycles.
 */
import { test } from "uvu";
import * as assert from "uvu/assert";
import { MqttActor } from "../../src/mqtt/actor.js";
import type { MqttConnectionState } from "../../src/mqtt/contract.js";
import { discoveryContextFrom, renderDiscovery } from "../../src/ha/discovery.js";
import { mosquittoTest, startMosquitto, killAllMosquitto } from "../helpers/mosquitto.js";
import { FAST_OPTIONS, MqttProbe, captureLogger, makeCamera, makeSettings, retainedSnapshot, unhandled, waitUntil } from "../helpers/mqtt-probe.js";

const VERSION = "3.0.0";

const t = mosquittoTest(test, unhandled);

const STATE = [
  { topic: "liveobject/camera/cam1/status", payload: '{"camera_id":"cam1","status":"online"}' },
  { topic: "liveobject/camera/cam2/status", payload: '{"camera_id":"cam2","status":"offline"}' },
];

function expectedRetained(port: number): Map<string, string> {
  const settings = makeSettings(port);
  const m = new Map<string, string>([["liveobject/status", "online"]]);
  for (const x of renderDiscovery([makeCamera("cam1"), makeCamera("cam2")], discoveryContextFrom(settings, VERSION))) m.set(x.topic, x.payload);
  for (const s of STATE) m.set(s.topic, s.payload);
  return m;
}

/** One reconcile per connection generation, each complete, none concurrent. */
function assertOnePerConnect(actor: MqttActor): void {
  const byGen = new Map<number, number>();
  for (const r of actor.reports) if (r.reason === "connect") byGen.set(r.generation, (byGen.get(r.generation) ?? 0) + 1);
  for (const [gen, n] of byGen) assert.is(n, 1, `generation ${gen} reconciled ${n} times`);
  assert.is(actor.maxConcurrentJobs, 1, "never two jobs at once");
}

t("broker SIGKILLed and restarted -> complete republish, exactly one reconcile per connect (test_reconnection_after_disconnect)", async () => {
  const broker = await startMosquitto();
  const log = captureLogger();
  const actor = new MqttActor({ logger: log.logger });
  const states: MqttConnectionState[] = [];
  try {
    await actor.start(
      { settings: makeSettings(broker.port), cameras: [makeCamera("cam1"), makeCamera("cam2")], state: STATE, app_version: VERSION, instance_id: "rc1", options: FAST_OPTIONS },
      (c) => void states.push(c.status.state),
    );
    await waitUntil(async () => (await actor.health()).reconciles_completed === 1, 5000, "first reconcile");
    const expected = expectedRetained(broker.port);
    assert.equal(await retainedSnapshot(broker.url, ["#"]), expected);

    await broker.killAndRestart();
    await waitUntil(async () => (await actor.health()).reconciles_completed === 2, 8000, "reconcile after restart");
    await actor.whenIdle();
    // Persistence off: the broker forgot everything, so nothing was found retained to skip. (A
    // snapshot taken right after the restart would race the actor's own quick republish.)
    assert.is(actor.reports[1]!.configs_skipped, 0, "persistence off: the broker forgot everything");
    assert.is(actor.reports[1]!.configs_sent, actor.reports[0]!.configs_sent);
    assert.equal(await retainedSnapshot(broker.url, ["#"]), expected, "availability, configs and statuses all back");
    const h = await actor.health();
    assert.is(h.generation, 2);
    assert.is(h.reconnects, 1);
    assert.ok(states.includes("reconnecting"), `states: ${states.join(",")}`);
    assert.is((await actor.status()).state, "connected");
    assertOnePerConnect(actor);
    assert.is(log.errors().length, 0, log.text());
  } finally {
    await actor.stop();
    await broker.stop();
  }
});

t("socket drop: the broker publishes the will, the actor comes back online by itself", async () => {
  const broker = await startMosquitto();
  const probe = await MqttProbe.connect(broker.url, ["liveobject/status"]);
  const actor = new MqttActor({ logger: captureLogger().logger });
  try {
    await actor.start({ settings: makeSettings(broker.port), cameras: [makeCamera("cam1")], state: [], app_version: VERSION, instance_id: "rc2", options: FAST_OPTIONS }, () => undefined);
    await waitUntil(async () => (await actor.health()).reconciles_completed === 1, 5000, "connected");
    actor.dropConnection();
    await probe.waitFor((m) => m.some((x) => x.payload === "offline"), 5000, "will");
    await waitUntil(async () => (await actor.health()).reconciles_completed === 2, 5000, "back");
    const seq = probe.messages.map((m) => m.payload);
    assert.equal(seq.slice(-2), ["offline", "online"]);
    assert.is(actor.clientCount, 1);
  } finally {
    await probe.close();
    await actor.stop();
    await broker.stop();
  }
});

t("refused credentials -> not_authorized, growing delays (no hot loop), then recovers", async () => {
  const broker = await startMosquitto({ users: [{ username: "argus", password: "right-pw" }] });
  const states: MqttConnectionState[] = [];
  // random ~ 1: every delay is its ceiling, so growth is deterministic: 150, 300, 600, 1200. A gap also
  // holds the refused attempt's own round trip (tens of ms under load), hence delays well above it.
  const actor = new MqttActor({ logger: captureLogger().logger, random: () => 0.999 });
  const settings = makeSettings(broker.port, { username: "argus", password: "wrong-pw-xyz" });
  try {
    await actor.start(
      { settings, cameras: [], state: [], app_version: VERSION, instance_id: "rc3", options: { ...FAST_OPTIONS, reconnect_min_ms: 150, reconnect_max_ms: 1200 } },
      (c) => void states.push(c.status.state),
    );
    await new Promise((r) => setTimeout(r, 3000));
    const st = await actor.status();
    assert.is(st.state, "not_authorized");
    assert.is(st.connected, false);
    assert.match(st.last_error ?? "", /not authorized/);
    assert.not.ok(JSON.stringify(st).includes("wrong-pw-xyz"), "password never in status");
    const times = actor.attemptTimes;
    assert.ok(times.length >= 4 && times.length <= 9, `${times.length} attempts in 3 s`);
    const gaps = times.slice(1).map((x, i) => x - times[i]!);
    for (let i = 1; i < Math.min(gaps.length, 4); i++) assert.ok(gaps[i]! > gaps[i - 1]! * 1.3, `gaps grow: ${gaps.join(",")}`);
    assert.not.ok(states.includes("connected"));

    await actor.updateSettings({ ...settings, password: "right-pw" });
    await waitUntil(async () => (await actor.status()).state === "connected", 5000, "connected with the right password");
    assert.is((await actor.status()).last_error, null);
  } finally {
    await actor.stop();
    await broker.stop();
  }
});

t("50 rapid disconnect/reconnect cycles: no unhandled rejection, never two reconciles, correct final state", async () => {
  const broker = await startMosquitto();
  const log = captureLogger();
  const actor = new MqttActor({ logger: log.logger });
  const opts = { ...FAST_OPTIONS, reconnect_min_ms: 10, reconnect_max_ms: 60, retained_collect_ms: 100 };
  try {
    await actor.start({ settings: makeSettings(broker.port), cameras: [makeCamera("cam1"), makeCamera("cam2")], state: STATE, app_version: VERSION, instance_id: "rc4", options: opts }, () => undefined);
    await waitUntil(async () => (await actor.health()).reconciles_completed >= 1, 5000, "first");
    for (let i = 0; i < 50; i++) {
      if (i % 10 === 9) await broker.killAndRestart();
      else actor.dropConnection();
      // Random spacing hits every phase: connecting, collecting, publishing, idle.
      await new Promise((r) => setTimeout(r, Math.floor(Math.random() * 60)));
      assert.ok(actor.clientCount <= 1);
    }
    await waitUntil(async () => (await actor.status()).state === "connected", 8000, "connected at the end");
    await waitUntil(async () => {
      const h = await actor.health();
      return h.last_reconcile?.generation === h.generation && !h.reconcile_running && h.queue_depth === 0;
    }, 8000, "final reconcile");
    const h = await actor.health();
    assert.ok(h.generation >= 10, `generation ${h.generation}`);
    assert.is(h.failures, 0, log.text().slice(-2000));
    assert.ok(h.reconciles_abandoned + h.reconciles_completed <= h.generation + 1);
    assertOnePerConnect(actor);
    assert.is(log.errors().length, 0, JSON.stringify(log.errors()).slice(0, 2000));
    assert.equal(await retainedSnapshot(broker.url, ["#"]), expectedRetained(broker.port));
  } finally {
    await actor.stop();
    await broker.stop();
  }
});

test.run();
