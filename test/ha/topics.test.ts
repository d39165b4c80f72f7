import { test } from "uvu";
import * as assert from "uvu/assert";
import {
  allCameraDiscoveryTopics,
  cameraDiscoveryTopics,
  cameraStateTopics,
  parseDiscoveryTopic,
  sanitizeCameraId,
  testMessageTopic,
} from "../../src/ha/topics.js";

test("sanitizeCameraId keeps [A-Za-z0-9_-] and replaces each other code point with one _", () => {
  assert.is(sanitizeCameraId("Ab9_-z"), "Ab9_-z");
  assert.is(sanitizeCameraId("a/b+c#d e.f"), "a_b_c_d_e_f");
  assert.is(sanitizeCameraId("cam😀1"), "cam_1"); // surrogate pair -> one "_", not two
  assert.is(sanitizeCameraId("é"), "_");
  assert.is(sanitizeCameraId("3f2a1c9e-0b7d-4c4e-9a55-1d2e3f4a5b6c"), "3f2a1c9e-0b7d-4c4e-9a55-1d2e3f4a5b6c");
});

test("cameraStateTopics uses the sanitized id under P/camera", () => {
  assert.equal(cameraStateTopics("liveobject", "a/b"), {
    event: "liveobject/camera/a_b/event",
    status: "liveobject/camera/a_b/status",
    last_event: "liveobject/camera/a_b/last_event",
    counts: "liveobject/camera/a_b/counts",
    activity: "liveobject/camera/a_b/activity",
  });
  assert.is(testMessageTopic("liveobject"), "liveobject/test");
});

test("discovery topics per mode, object id = unique_id, wildcard ids sanitized", () => {
  assert.equal(cameraDiscoveryTopics("c+1", "homeassistant", "entity"), [
    "homeassistant/sensor/liveobject_c_1_event/config",
    "homeassistant/sensor/liveobject_c_1_status/config",
    "homeassistant/sensor/liveobject_c_1_last_event/config",
    "homeassistant/sensor/liveobject_c_1_events_today/config",
    "homeassistant/sensor/liveobject_c_1_events_week/config",
    "homeassistant/binary_sensor/liveobject_c_1_activity/config",
  ]);
  assert.equal(cameraDiscoveryTopics("c+1", "homeassistant", "device"), ["homeassistant/device/liveobject_c_1/config"]);
  const all = allCameraDiscoveryTopics("c+1", "homeassistant");
  assert.is(all.length, 7);
  assert.ok(all.includes("homeassistant/device/liveobject_c_1/config"));
  assert.ok(all.includes("homeassistant/binary_sensor/liveobject_c_1_activity/config"));
});

test("parseDiscoveryTopic reads our topics back and rejects others", () => {
  assert.equal(parseDiscoveryTopic("ha/sensor/liveobject_ab-1_last_event/config", "ha"), { mode: "entity", sid: "ab-1", kind: "last_event" });
  assert.equal(parseDiscoveryTopic("ha/sensor/liveobject_ab_1_event/config", "ha"), { mode: "entity", sid: "ab_1", kind: "event" });
  assert.equal(parseDiscoveryTopic("ha/binary_sensor/liveobject_x_activity/config", "ha"), { mode: "entity", sid: "x", kind: "activity" });
  assert.equal(parseDiscoveryTopic("ha/device/liveobject_x/config", "ha"), { mode: "device", sid: "x", kind: null });
  assert.is(parseDiscoveryTopic("ha/sensor/liveobject_x_activity/config", "ha"), null); // wrong component for the kind
  assert.is(parseDiscoveryTopic("ha/sensor/other_x_event/config", "ha"), null);
  assert.is(parseDiscoveryTopic("ha/sensor/node/liveobject_x_event/config", "ha"), null);
  assert.is(parseDiscoveryTopic("homeassistant/sensor/liveobject_x_event/config", "ha"), null);
});

test.run();
