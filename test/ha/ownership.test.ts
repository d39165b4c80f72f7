import { test } from "uvu";
import * as assert from "uvu/assert";
import { renderCameraDiscovery } from "../../src/ha/discovery.js";
import { discoverySubscriptions, isOwnedDiscoveryConfig } from "../../src/ha/ownership.js";
import { camera, ctx } from "./fixtures.js";

const T = "ha/sensor/liveobject_cam-1_event/config";

test("subscriptions cover both modes' topics and nothing with a node_id level", () => {
  assert.equal(discoverySubscriptions("ha"), ["ha/sensor/+/config", "ha/binary_sensor/+/config", "ha/device/+/config"]);
});

test("our own configs are owned, in both modes", () => {
  for (const mode of ["entity", "device"] as const) {
    for (const m of renderCameraDiscovery(camera(), ctx({ mode }))) assert.ok(isOwnedDiscoveryConfig(m.topic, m.payload, ctx({ mode })), m.topic);
  }
});

test("ArgusAI's configs (P/status availability, no origin) are adopted when that is our availability topic", () => {
  const argus = JSON.stringify({
    name: "Front Door AI Events",
    unique_id: "liveobject_cam-1_event",
    state_topic: "liveobject/camera/cam-1/event",
    availability_topic: "liveobject/status",
    payload_available: "online",
    payload_not_available: "offline",
    device: { identifiers: ["liveobject_cam-1"], manufacturer: "Live Object AI" },
  });
  const defaults = ctx({ topic_prefix: "liveobject", availability_topic: "liveobject/status" });
  assert.ok(isOwnedDiscoveryConfig("ha/sensor/liveobject_cam-1_event/config", argus, defaults));
  // With a custom availability topic and no origin, nothing ties it to us.
  assert.not.ok(isOwnedDiscoveryConfig("ha/sensor/liveobject_cam-1_event/config", argus, ctx({ topic_prefix: "liveobject" })));
});

test("availability matched in every documented spelling", () => {
  const c = ctx();
  assert.ok(isOwnedDiscoveryConfig(T, JSON.stringify({ avty_t: "bridge/avail" }), c));
  assert.ok(isOwnedDiscoveryConfig(T, JSON.stringify({ availability: [{ topic: "x/other" }, { topic: "bridge/avail" }] }), c));
  assert.ok(isOwnedDiscoveryConfig(T, JSON.stringify({ avty: [{ t: "bridge/avail" }] }), c));
  assert.ok(isOwnedDiscoveryConfig(T, JSON.stringify({ cmps: { a: { p: "sensor", avty_t: "bridge/avail" } } }), c));
  assert.not.ok(isOwnedDiscoveryConfig(T, JSON.stringify({ availability: [{ topic: "x/other" }] }), c));
});

test("origin argus-bridge counts only with every state topic under our prefix", () => {
  const c = ctx(); // prefix "argus", availability "bridge/avail"
  const o = { name: "argus-bridge", sw: "0.1" };
  // Availability topic changed since it was published: still ours through origin + prefix.
  assert.ok(isOwnedDiscoveryConfig(T, JSON.stringify({ origin: o, state_topic: "argus/camera/x/event", availability_topic: "old/avail" }), c));
  assert.ok(isOwnedDiscoveryConfig(T, JSON.stringify({ o, cmps: { a: { p: "sensor", stat_t: "argus/camera/x/status" } } }), c));
  assert.not.ok(isOwnedDiscoveryConfig(T, JSON.stringify({ origin: o, state_topic: "other/camera/x/event" }), c));
  assert.not.ok(isOwnedDiscoveryConfig(T, JSON.stringify({ origin: o, state_topic: "argusX/camera/x/event" }), c)); // prefix + "/"
  assert.not.ok(isOwnedDiscoveryConfig(T, JSON.stringify({ origin: o }), c)); // no state topic at all
  assert.not.ok(
    isOwnedDiscoveryConfig(T, JSON.stringify({ o, cmps: { a: { p: "sensor", stat_t: "argus/a" }, b: { p: "sensor", stat_t: "zigbee/b" } } }), c),
  );
});

test("another application's config is not owned, even on a look-alike topic", () => {
  const z2m = JSON.stringify({
    unique_id: "0x00158d_temperature_zigbee2mqtt",
    state_topic: "zigbee2mqtt/sensor",
    availability: [{ topic: "zigbee2mqtt/bridge/state" }],
    origin: { name: "Zigbee2MQTT", sw: "2.0.0" },
  });
  assert.not.ok(isOwnedDiscoveryConfig("ha/sensor/0x00158d/temperature/config", z2m, ctx()));
  assert.not.ok(isOwnedDiscoveryConfig(T, z2m, ctx()));
  // Same state prefix but someone else's origin.
  assert.not.ok(isOwnedDiscoveryConfig(T, JSON.stringify({ origin: { name: "other" }, state_topic: "argus/camera/x/event" }), ctx()));
});

test("garbage, empty, non-object JSON and odd shapes are not owned and never throw", () => {
  for (const p of ["", "{", "not json", "null", "42", '"str"', "[1,2]", '{"availability":"bridge/avail"}', '{"availability":[null,1,"x"]}', '{"origin":"argus-bridge","state_topic":"argus/x"}', '{"o":{"name":"argus-bridge"},"state_topic":7}']) {
    assert.not.ok(isOwnedDiscoveryConfig(T, p, ctx()), p);
  }
});

test("a bare migrate marker is owned on our topic shapes only", () => {
  const marker = '{"migrate_discovery":true}';
  assert.ok(isOwnedDiscoveryConfig(T, marker, ctx()));
  assert.ok(isOwnedDiscoveryConfig("ha/device/liveobject_cam-1/config", marker, ctx()));
  assert.ok(isOwnedDiscoveryConfig(T, '{"migr_discvry":true}', ctx()));
  assert.not.ok(isOwnedDiscoveryConfig("ha/sensor/someone_else/config", marker, ctx()));
  assert.not.ok(isOwnedDiscoveryConfig("other/sensor/liveobject_cam-1_event/config", marker, ctx()));
});

test.run();
