/**
 * The supervisor with a real worker thread (compiled workers/mqtt-worker.js): Comlink round trip,
 * crash -> restart with replayed state, calls during a restart never reject.
 */
import { test } from "uvu";
import * as assert from "uvu/assert";
import { createMqttActor } from "../../src/mqtt/supervisor.js";
import type { ActorStateChange } from "../../src/mqtt/contract.js";
import { discoveryContextFrom, renderDiscovery } from "../../src/ha/discovery.js";
import { startEmbeddedBroker } from "../../src/mqtt/embedded-broker.js";
import { mosquittoAvailable, startMosquitto, killAllMosquitto } from "../helpers/mosquitto.js";
import { FAST_OPTIONS, makeCamera, makeSettings, retainedSnapshot, unhandled, waitUntil } from "../helpers/mqtt-probe.js";

process.env.ARGUS_MQTT_LOG_LEVEL ??= "warn";
const HAVE = mosquittoAvailable();

test("worker mode over aedes: Comlink round trip, listener, health", async () => {
  const broker = await startEmbeddedBroker();
  const actor = createMqttActor({ mode: "worker", restart_min_ms: 50, restart_max_ms: 200 });
  const changes: ActorStateChange[] = [];
  try {
    await actor.start(
      { settings: makeSettings(broker.port), cameras: [makeCamera("w1")], state: [], app_version: "1", instance_id: "wk1", options: FAST_OPTIONS },
      (c) => void changes.push(c),
    );
    await waitUntil(async () => (await actor.health()).reconciles_completed >= 1, 8000, "reconcile in worker");
    const st = await actor.status();
    assert.is(st.state, "connected");
    assert.is(st.protocol, "3.1.1");
    const h = await actor.health();
    assert.ok(h.heap_used_bytes > 0);
    assert.type(h.event_loop_delay_p99_ms, "number");
    assert.ok(changes.some((c) => c.status.state === "connected"), "listener called across threads");
    const snap = await retainedSnapshot(broker.url, ["homeassistant/#"]);
    assert.is(snap.size, 6);
  } finally {
    await actor.close();
    await broker.stop();
  }
});

{
  (HAVE ? test : test.skip)("worker crash -> supervisor restarts it and restores retained state; calls meanwhile never reject", async () => {
    const broker = await startMosquitto();
    const actor = createMqttActor({ mode: "worker", restart_min_ms: 300, restart_max_ms: 600, call_timeout_ms: 100 });
    const states: string[] = [];
    actor.onChange((c) => void states.push(c.status.state));
    const settings = makeSettings(broker.port);
    const cams = [makeCamera("c1"), makeCamera("c2")];
    try {
      await actor.start({ settings, cameras: cams, state: [{ topic: "liveobject/camera/c1/status", payload: '{"status":"online"}' }], app_version: "9", instance_id: "wk2", options: FAST_OPTIONS }, () => undefined);
      await waitUntil(async () => (await actor.health()).reconciles_completed >= 1, 8000, "first reconcile");
      // Changes after start must survive the crash too.
      await actor.upsertCamera(makeCamera("c3"));
      await actor.publishState([{ topic: "liveobject/camera/c3/status", payload: '{"status":"offline"}' }]);

      await actor.crashWorkerForTest();
      await broker.killAndRestart(); // and the broker forgets every retained message
      await waitUntil(() => states.includes("restarting"), 2000, "restarting reported");
      assert.is((await actor.status()).state, "restarting");
      const d = await actor.deliver([{ id: 1, topic: "liveobject/camera/c1/event", payload: "{}", qos: 1, retain: false, expiry_seconds: null, remember: false }]);
      assert.equal(d, { delivered: [], error: "not connected" }, "answered, not rejected, while restarting");
      const pd = await actor.publishDiscovery();
      assert.is(pd.ok, false);

      await waitUntil(async () => (await actor.status()).state === "connected", 8000, "new worker connected");
      await waitUntil(async () => (await actor.health()).reconciles_completed >= 1, 8000, "new worker reconciled");
      assert.is(actor.restarts, 1);
      const expected = new Map<string, string>();
      for (const m of renderDiscovery([...cams, makeCamera("c3")], discoveryContextFrom(settings, "9"))) expected.set(m.topic, m.payload);
      expected.set("liveobject/status", "online");
      expected.set("liveobject/camera/c1/status", '{"status":"online"}');
      expected.set("liveobject/camera/c3/status", '{"status":"offline"}');
      assert.equal(await retainedSnapshot(broker.url, ["#"]), expected);
      const ok = await actor.deliver([{ id: 2, topic: "liveobject/camera/c1/event", payload: "{}", qos: 1, retain: false, expiry_seconds: 60, remember: false }]);
      assert.equal(ok, { delivered: [2], error: null });
    } finally {
      await actor.close();
      await broker.stop();
      await killAllMosquitto();
    }
    assert.is(unhandled.length, 0);
  });
}

test.run();
