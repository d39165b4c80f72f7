import { test } from "uvu";
import * as assert from "uvu/assert";
import { allCameraDiscoveryTopics, renderDiscovery, type RetainedMessage } from "../../src/ha/discovery.js";
import { planDiscovery } from "../../src/ha/reconcile-plan.js";
import { camera, ctx } from "./fixtures.js";

const retainedOf = (msgs: readonly RetainedMessage[]) => new Map(msgs.map((m) => [m.topic, m.payload]));
/** Re-serialise with keys in reverse order, as another tool might. */
function reorder(payload: string): string {
  const rev = (v: unknown): unknown =>
    Array.isArray(v) ? v.map(rev) : v !== null && typeof v === "object" ? Object.fromEntries(Object.entries(v).reverse().map(([k, x]) => [k, rev(x)])) : v;
  return JSON.stringify(rev(JSON.parse(payload)));
}
/** Applies a plan to a broker's retained store, in the documented order. */
function apply(store: Map<string, string>, plan: ReturnType<typeof planDiscovery>): Map<string, string> {
  const next = new Map(store);
  for (const m of [...plan.migrate, ...plan.publish, ...plan.clear]) {
    if (m.payload === "") next.delete(m.topic);
    else next.set(m.topic, m.payload);
  }
  return next;
}

const cams = [camera({ id: "a" }), camera({ id: "b", is_doorbell: true })];

test("empty broker: everything published in desired order, nothing skipped or cleared", () => {
  const desired = renderDiscovery(cams, ctx());
  const plan = planDiscovery(desired, new Map(), ctx());
  assert.equal(plan.publish, desired);
  assert.equal(plan, { migrate: [], publish: desired, clear: [], skipped: 0 });
});

test("identical retained configs are skipped, even re-serialised with another key order", () => {
  const desired = renderDiscovery(cams, ctx());
  const retained = new Map(desired.map((m, i) => [m.topic, i % 2 === 0 ? reorder(m.payload) : m.payload]));
  assert.is.not(reorder(desired[0]!.payload), desired[0]!.payload);
  const plan = planDiscovery(desired, retained, ctx());
  assert.equal(plan, { migrate: [], publish: [], clear: [], skipped: 12 });
});

test("a real change is resent: renamed camera, new app version, changed availability", () => {
  const old = retainedOf(renderDiscovery(cams, ctx()));
  const renamed = renderDiscovery([camera({ id: "a", name: "Porch" }), cams[1]!], ctx());
  const p1 = planDiscovery(renamed, old, ctx());
  assert.equal(p1.publish.map((m) => m.topic), renamed.slice(0, 6).map((m) => m.topic));
  assert.is(p1.skipped, 6);
  assert.equal(p1.clear, []);
  const upgraded = planDiscovery(renderDiscovery(cams, ctx({ app_version: "10.0.0" })), old, ctx({ app_version: "10.0.0" }));
  assert.is(upgraded.publish.length, 12);
  const c2 = ctx({ availability_topic: "new/avail" });
  const moved = planDiscovery(renderDiscovery(cams, c2), old, c2);
  assert.is(moved.publish.length, 12);
  assert.is(moved.skipped, 0);
});

test("owned stale configs are cleared; foreign and garbage ones never", () => {
  const desired = renderDiscovery([cams[0]!], ctx());
  const retained = retainedOf(renderDiscovery(cams, ctx())); // camera b deleted since
  retained.set("ha/sensor/zigbee_temp/config", JSON.stringify({ state_topic: "z2m/t", availability_topic: "z2m/state", origin: { name: "Zigbee2MQTT" } }));
  retained.set("ha/sensor/broken/config", "{nope");
  // An ArgusAI leftover on the old P/status topic is foreign here (custom availability, no origin)...
  retained.set("ha/sensor/liveobject_old_event/config", JSON.stringify({ state_topic: "liveobject/camera/old/event", availability_topic: "liveobject/status" }));
  const plan = planDiscovery(desired, retained, ctx());
  assert.equal(plan.clear, allCameraDiscoveryTopics("b", "ha").slice(0, 6).sort().map((topic) => ({ topic, payload: "" })));
  assert.equal(plan.migrate, []);
  assert.equal(plan.publish, []);
  assert.is(plan.skipped, 6);
  // ...but adopted and cleared when our availability topic is the default one it used.
  const legacy = ctx({ availability_topic: "liveobject/status" });
  const plan2 = planDiscovery(renderDiscovery([cams[0]!], legacy), retained, legacy);
  assert.ok(plan2.clear.some((m) => m.topic === "ha/sensor/liveobject_old_event/config"));
  assert.not.ok(plan2.clear.some((m) => m.topic.includes("zigbee") || m.topic.includes("broken")));
});

test("mode switch entity -> device -> entity: markers first, cleared set = old mode's topics, no ghosts", () => {
  const entityCtx = ctx();
  const deviceCtx = ctx({ mode: "device" });
  let broker = retainedOf(renderDiscovery(cams, entityCtx));
  const foreign = ["ha/sensor/zigbee_temp/config", JSON.stringify({ state_topic: "z2m/t", origin: { name: "Zigbee2MQTT" } })] as const;
  broker.set(foreign[0], foreign[1]);
  const entityTopics = [...broker.keys()].filter((t) => t !== foreign[0]).sort();

  const toDevice = planDiscovery(renderDiscovery(cams, deviceCtx), broker, deviceCtx);
  assert.equal(toDevice.migrate, entityTopics.map((topic) => ({ topic, payload: '{"migrate_discovery":true}' })));
  assert.equal(toDevice.publish.map((m) => m.topic), ["ha/device/liveobject_a/config", "ha/device/liveobject_b/config"]);
  assert.equal(toDevice.clear, entityTopics.map((topic) => ({ topic, payload: "" })));
  broker = apply(broker, toDevice);
  assert.equal([...broker.keys()].sort(), [foreign[0], "ha/device/liveobject_a/config", "ha/device/liveobject_b/config"].sort());
  assert.equal(planDiscovery(renderDiscovery(cams, deviceCtx), broker, deviceCtx), { migrate: [], publish: [], clear: [], skipped: 2 });

  const back = planDiscovery(renderDiscovery(cams, entityCtx), broker, entityCtx);
  assert.equal(back.migrate.map((m) => m.topic), ["ha/device/liveobject_a/config", "ha/device/liveobject_b/config"]);
  assert.is(back.publish.length, 12);
  assert.equal(back.clear.map((m) => m.topic), ["ha/device/liveobject_a/config", "ha/device/liveobject_b/config"]);
  broker = apply(broker, back);
  assert.equal([...broker.keys()].filter((t) => t !== foreign[0]).sort(), entityTopics);
  assert.is(broker.get(foreign[0]), foreign[1]);
});

test("switch with a camera removed: its old configs are cleared without a marker", () => {
  const broker = retainedOf(renderDiscovery(cams, ctx()));
  const plan = planDiscovery(renderDiscovery([cams[0]!], ctx({ mode: "device" })), broker, ctx({ mode: "device" }));
  assert.ok(plan.migrate.every((m) => m.topic.includes("liveobject_a_")));
  assert.is(plan.migrate.length, 6);
  assert.is(plan.clear.length, 12);
});

test("a stale config in the current mode (entity dropped, camera kept) is cleared without a marker", () => {
  const all = renderDiscovery([cams[0]!], ctx());
  const desired = all.filter((m) => !m.topic.includes("_events_week"));
  const plan = planDiscovery(desired, retainedOf(all), ctx());
  assert.equal(plan, { migrate: [], publish: [], clear: [{ topic: "ha/sensor/liveobject_a_events_week/config", payload: "" }], skipped: 5 });
});

test("interrupted switch: leftover markers are cleared but not re-marked", () => {
  const broker = new Map<string, string>();
  for (const topic of allCameraDiscoveryTopics("a", "ha").slice(0, 6)) broker.set(topic, '{"migrate_discovery":true}');
  const plan = planDiscovery(renderDiscovery([cams[0]!], ctx({ mode: "device" })), broker, ctx({ mode: "device" }));
  assert.equal(plan.migrate, []);
  assert.is(plan.publish.length, 1);
  assert.is(plan.clear.length, 6);
});

test.run();
