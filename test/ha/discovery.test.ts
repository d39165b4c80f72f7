import { test } from "uvu";
import * as assert from "uvu/assert";
import type { MqttSettings } from "../../src/mqtt/settings.js";
import { discoveryContextFrom, renderCameraDiscovery, renderDiscovery } from "../../src/ha/discovery.js";
import { camera, ctx } from "./fixtures.js";

const parse = (p: string) => JSON.parse(p) as Record<string, any>;

const DEVICE = { identifiers: ["liveobject_cam-1"], name: "Driveway", manufacturer: "ArgusAI", model: "AI Classifier", sw_version: "9.8.7" };
const ORIGIN = { name: "argus-bridge", sw: "9.8.7", url: "https://github.com/argus-bridge/argus-bridge" };
const AVAIL = { availability_topic: "bridge/avail", payload_available: "alive", payload_not_available: "dead" };

test("entity mode: the exact six configs of one RTSP camera", () => {
  const msgs = renderCameraDiscovery(camera(), ctx());
  assert.equal(
    msgs.map((m) => m.topic),
    [
      "ha/sensor/liveobject_cam-1_event/config",
      "ha/sensor/liveobject_cam-1_status/config",
      "ha/sensor/liveobject_cam-1_last_event/config",
      "ha/sensor/liveobject_cam-1_events_today/config",
      "ha/sensor/liveobject_cam-1_events_week/config",
      "ha/binary_sensor/liveobject_cam-1_activity/config",
    ],
  );
  const [event, status, lastEvent, today, week, activity] = msgs.map((m) => parse(m.payload));
  assert.equal(event, {
    name: "AI Events",
    unique_id: "liveobject_cam-1_event",
    default_entity_id: "sensor.liveobject_cam_1_event",
    state_topic: "argus/camera/cam-1/event",
    value_template: "{{ value_json.description[:255] if value_json.description is defined and value_json.description else 'No event' }}",
    json_attributes_topic: "argus/camera/cam-1/event",
    icon: "mdi:cctv",
    ...AVAIL,
    device: { ...DEVICE, model: "AI Classifier - RTSP" },
    origin: ORIGIN,
  });
  assert.equal(status, {
    name: "Status",
    unique_id: "liveobject_cam-1_status",
    default_entity_id: "sensor.liveobject_cam_1_status",
    state_topic: "argus/camera/cam-1/status",
    value_template: "{{ value_json.status }}",
    json_attributes_topic: "argus/camera/cam-1/status",
    icon: "mdi:camera",
    ...AVAIL,
    device: DEVICE,
    origin: ORIGIN,
  });
  assert.equal(lastEvent, {
    name: "Last Event",
    unique_id: "liveobject_cam-1_last_event",
    default_entity_id: "sensor.liveobject_cam_1_last_event",
    state_topic: "argus/camera/cam-1/last_event",
    value_template: "{{ value_json.timestamp }}",
    json_attributes_topic: "argus/camera/cam-1/last_event",
    json_attributes_template:
      "{{ {'event_id': value_json.event_id, 'description': value_json.description_snippet, 'smart_detection_type': value_json.smart_detection_type} | tojson }}",
    icon: "mdi:clock-outline",
    device_class: "timestamp",
    ...AVAIL,
    device: DEVICE,
    origin: ORIGIN,
  });
  assert.equal(today, {
    name: "Events Today",
    unique_id: "liveobject_cam-1_events_today",
    default_entity_id: "sensor.liveobject_cam_1_events_today",
    state_topic: "argus/camera/cam-1/counts",
    value_template: "{{ value_json.events_today }}",
    icon: "mdi:counter",
    unit_of_measurement: "events",
    state_class: "total",
    ...AVAIL,
    device: DEVICE,
    origin: ORIGIN,
  });
  assert.equal(week, {
    name: "Events This Week",
    unique_id: "liveobject_cam-1_events_week",
    default_entity_id: "sensor.liveobject_cam_1_events_week",
    state_topic: "argus/camera/cam-1/counts",
    value_template: "{{ value_json.events_this_week }}",
    icon: "mdi:calendar-week",
    unit_of_measurement: "events",
    state_class: "total",
    ...AVAIL,
    device: DEVICE,
    origin: ORIGIN,
  });
  assert.equal(activity, {
    name: "Activity",
    unique_id: "liveobject_cam-1_activity",
    default_entity_id: "binary_sensor.liveobject_cam_1_activity",
    state_topic: "argus/camera/cam-1/activity",
    value_template: "{{ value_json.state }}",
    payload_on: "ON",
    payload_off: "OFF",
    device_class: "motion",
    ...AVAIL,
    device: DEVICE,
    origin: ORIGIN,
  });
});

test("no config ever carries an expiry, and none hard-codes P/status or online/offline", () => {
  for (const mode of ["entity", "device"] as const) {
    for (const m of renderCameraDiscovery(camera(), ctx({ mode }))) {
      assert.not.match(m.payload, /expire|exp_aft|expiry/);
      assert.not.match(m.payload, /argus\/status|"online"|"offline"/);
    }
  }
});

test("doorbell: doorbell model and icon; Protect and USB models by source type", () => {
  const bell = parse(renderCameraDiscovery(camera({ is_doorbell: true, source_type: "protect", type: "protect" }), ctx())[0]!.payload);
  assert.is(bell.icon, "mdi:doorbell-video");
  assert.is(bell.device.model, "AI Classifier - Doorbell");
  const protect = parse(renderCameraDiscovery(camera({ source_type: "protect", type: "protect" }), ctx())[0]!.payload);
  assert.is(protect.icon, "mdi:cctv");
  assert.is(protect.device.model, "AI Classifier - Protect");
  const usb = parse(renderCameraDiscovery(camera({ source_type: "usb", type: "usb" }), ctx())[0]!.payload);
  assert.is(usb.device.model, "AI Classifier - USB");
  // Only the event sensor carries the detailed model.
  assert.is(parse(renderCameraDiscovery(camera({ is_doorbell: true }), ctx())[1]!.payload).device.model, "AI Classifier");
});

test("a rename changes names only: same topics, unique_ids and entity names", () => {
  const before = renderCameraDiscovery(camera(), ctx());
  const after = renderCameraDiscovery(camera({ name: "Garage" }), ctx());
  assert.equal(after.map((m) => m.topic), before.map((m) => m.topic));
  for (let i = 0; i < before.length; i++) {
    const a = parse(before[i]!.payload);
    const b = parse(after[i]!.payload);
    assert.is(b.unique_id, a.unique_id);
    assert.is(b.state_topic, a.state_topic);
    assert.is(b.name, a.name);
    assert.is(b.device.name, "Garage");
    assert.equal({ ...b, device: null }, { ...a, device: null });
  }
});

test("renderDiscovery: enabled cameras only, ordered by id whatever the input order", () => {
  const cams = [camera({ id: "b" }), camera({ id: "off", is_enabled: false }), camera({ id: "a" })];
  const msgs = renderDiscovery(cams, ctx());
  assert.is(msgs.length, 12);
  assert.is(msgs[0]!.topic, "ha/sensor/liveobject_a_event/config");
  assert.is(msgs[6]!.topic, "ha/sensor/liveobject_b_event/config");
  assert.not.ok(msgs.some((m) => m.topic.includes("liveobject_off")));
  assert.equal(renderDiscovery([...cams].reverse(), ctx()), msgs);
  assert.equal(renderDiscovery([camera({ is_enabled: false })], ctx()), []);
});

test("device mode: one config per camera with dev, o, shared availability and cmps keyed by kind", () => {
  const msgs = renderCameraDiscovery(camera({ id: "x/1", is_doorbell: true }), ctx({ mode: "device" }));
  assert.is(msgs.length, 1);
  assert.is(msgs[0]!.topic, "ha/device/liveobject_x_1/config");
  const cfg = parse(msgs[0]!.payload);
  assert.equal(Object.keys(cfg), ["dev", "o", "cmps", "availability_topic", "payload_available", "payload_not_available"]);
  assert.equal(cfg.dev, { identifiers: ["liveobject_x_1"], name: "Driveway", manufacturer: "ArgusAI", model: "AI Classifier - Doorbell", sw_version: "9.8.7" });
  assert.equal(cfg.o, ORIGIN);
  assert.is(cfg.availability_topic, "bridge/avail");
  assert.is(cfg.payload_available, "alive");
  assert.is(cfg.payload_not_available, "dead");
  assert.equal(Object.keys(cfg.cmps), ["event", "status", "last_event", "events_today", "events_week", "activity"]);
  assert.equal(cfg.cmps.activity, {
    p: "binary_sensor",
    name: "Activity",
    unique_id: "liveobject_x_1_activity",
    default_entity_id: "binary_sensor.liveobject_x_1_activity",
    state_topic: "argus/camera/x_1/activity",
    value_template: "{{ value_json.state }}",
    payload_on: "ON",
    payload_off: "OFF",
    device_class: "motion",
  });
  assert.is(cfg.cmps.event.p, "sensor");
  assert.is(cfg.cmps.event.icon, "mdi:doorbell-video");
  assert.is(cfg.cmps.events_week.state_topic, "argus/camera/x_1/counts");
  // Same unique_ids as entity mode: switching mode keeps HA entities and their history.
  const entityIds = renderCameraDiscovery(camera({ id: "x/1" }), ctx()).map((m) => parse(m.payload).unique_id);
  assert.equal(Object.values(cfg.cmps).map((c: any) => c.unique_id), entityIds);
});

test("discoveryContextFrom takes availability from settings (custom topic, birth and will texts)", () => {
  const settings = {
    topic_prefix: "liveobject",
    discovery_prefix: "homeassistant",
    discovery_mode: "device",
    availability_topic: "custom/lwt",
    birth_message: "up",
    will_message: "down",
  } as MqttSettings;
  assert.equal(discoveryContextFrom(settings, "2.0.0"), {
    topic_prefix: "liveobject",
    discovery_prefix: "homeassistant",
    mode: "device",
    availability_topic: "custom/lwt",
    payload_available: "up",
    payload_not_available: "down",
    app_version: "2.0.0",
  });
  assert.is(discoveryContextFrom({ ...settings, availability_topic: "  " }, "2.0.0").availability_topic, "liveobject/status");
});

test("timing: renderDiscovery for 10,000 cameras (printed, not asserted)", () => {
  const cams = Array.from({ length: 10_000 }, (_, i) =>
    camera({ id: `00000000-0000-4000-8000-${String(i).padStart(12, "0")}`, name: `Camera ${i}`, is_doorbell: i % 7 === 0 }),
  );
  for (const mode of ["entity", "device"] as const) {
    const t0 = performance.now();
    const msgs = renderDiscovery(cams, ctx({ mode }));
    const ms = performance.now() - t0;
    assert.is(msgs.length, mode === "entity" ? 60_000 : 10_000);
    console.log(`  renderDiscovery ${mode} mode, 10,000 cameras: ${msgs.length} messages in ${ms.toFixed(1)} ms`);
  }
});

test.run();
