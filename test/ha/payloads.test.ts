import { test } from "uvu";
import * as assert from "uvu/assert";
import type { CameraEvent } from "../../src/domain/event.js";
import { eventPayload } from "../../src/ha/event-payload.js";
import { activityPayload, countsPayload, lastEventPayload, mapRuntimeState, statusPayload } from "../../src/ha/state-payloads.js";
import { truncateCodePoints } from "../../src/ha/text.js";
import { camera } from "./fixtures.js";

function event(over: Partial<CameraEvent> = {}): CameraEvent {
  return {
    id: "0b9e6a52-8d43-4a57-9c2e-5f1f3c6d7e80",
    camera_id: "cam-1",
    description: "A person walks up the driveway",
    objects_detected: ["person"],
    confidence: 87,
    timestamp: "2026-12-04T21:06:01.123+01:00",
    created_at: "2026-12-04T20:06:02.000Z",
    ...over,
  };
}
const AT = new Date("2026-12-04T20:06:01.123Z");

test("runtime state -> HA status", () => {
  assert.is(mapRuntimeState("connected"), "online");
  assert.is(mapRuntimeState("starting"), "online");
  assert.is(mapRuntimeState("disconnected"), "offline");
  assert.is(mapRuntimeState("error"), "unavailable");
  assert.is(mapRuntimeState("stopped"), "unavailable");
  assert.is(mapRuntimeState("bogus" as never), "unavailable");
});

test("status, counts and activity payloads have exactly the contract fields", () => {
  const cam = camera({ source_type: "protect", type: "protect" });
  assert.equal(statusPayload(cam, "offline", AT), {
    camera_id: "cam-1", camera_name: "Driveway", status: "offline", source_type: "protect", last_updated: "2026-12-04T20:06:01.123Z",
  });
  assert.equal(countsPayload(cam, { today: 3, week: 11 }, AT), {
    camera_id: "cam-1", camera_name: "Driveway", events_today: 3, events_this_week: 11, last_updated: "2026-12-04T20:06:01.123Z",
  });
  assert.equal(activityPayload("cam-1", true, "2026-12-04T21:06:01.123+01:00"), { camera_id: "cam-1", state: "ON", last_event_at: "2026-12-04T21:06:01.123+01:00" });
  assert.equal(activityPayload("cam-1", false, null), { camera_id: "cam-1", state: "OFF", last_event_at: null });
});

test("last_event payload: fields, null smart type, snippet cut to 100 code points", () => {
  assert.equal(lastEventPayload(camera(), event()), {
    camera_id: "cam-1",
    camera_name: "Driveway",
    event_id: "0b9e6a52-8d43-4a57-9c2e-5f1f3c6d7e80",
    timestamp: "2026-12-04T21:06:01.123+01:00",
    description_snippet: "A person walks up the driveway",
    smart_detection_type: null,
  });
  assert.is(lastEventPayload(camera(), event({ smart_detection_type: "person" })).smart_detection_type, "person");
  // 99 letters then emoji: cut after the 100th code point, which is the whole emoji (2 UTF-16 units).
  const long = "a".repeat(99) + "😀😀😀";
  const snippet = lastEventPayload(camera(), event({ description: long })).description_snippet as string;
  assert.is(snippet, "a".repeat(99) + "😀");
  assert.is([...snippet].length, 100);
  assert.is(snippet.length, 101);
  // All emoji: 100 code points = 200 units, never a lone surrogate.
  const emoji = lastEventPayload(camera(), event({ description: "🚗".repeat(150) })).description_snippet as string;
  assert.is([...emoji].length, 100);
  assert.not.match(emoji, /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/);
  assert.is(lastEventPayload(camera(), event({ description: "x".repeat(100) })).description_snippet, "x".repeat(100));
  assert.is(lastEventPayload(camera(), event({ description: "" })).description_snippet, "");
});

test("truncateCodePoints edge cases", () => {
  assert.is(truncateCodePoints("abc", 0), "");
  assert.is(truncateCodePoints("😀b", 1), "😀");
  assert.is(truncateCodePoints("ab", 5), "ab");
});

test("event payload: the always-fields and nothing else when optional fields are unset or null", () => {
  const p = eventPayload(event({ ai_confidence: null, provider_used: undefined }), camera(), "http://argus.local:8000");
  assert.equal(p, {
    event_id: "0b9e6a52-8d43-4a57-9c2e-5f1f3c6d7e80",
    camera_id: "cam-1",
    camera_name: "Driveway",
    description: "A person walks up the driveway",
    objects_detected: ["person"],
    confidence: 87,
    source_type: "rtsp",
    timestamp: "2026-12-04T21:06:01.123+01:00",
    thumbnail_url: "http://argus.local:8000/api/v1/events/0b9e6a52-8d43-4a57-9c2e-5f1f3c6d7e80/thumbnail",
  });
  assert.not.ok("ai_confidence" in p);
  assert.not.ok("provider_used" in p);
});

test("event payload: optional fields present when set, including false and 0", () => {
  const p = eventPayload(
    event({
      ai_confidence: 0,
      smart_detection_type: "package",
      is_doorbell_ring: false,
      provider_used: "openai",
      analysis_mode: "multi_frame",
      low_confidence: false,
      correlation_group_id: "g-1",
      delivery_carrier: "ups",
      delivery_carrier_display: "UPS",
    }),
    camera(),
    "https://argus.example/",
  );
  assert.is(p.ai_confidence, 0);
  assert.is(p.smart_detection_type, "package");
  assert.is(p.is_doorbell_ring, false);
  assert.is(p.provider_used, "openai");
  assert.is(p.analysis_mode, "multi_frame");
  assert.is(p.low_confidence, false);
  assert.is(p.correlation_group_id, "g-1");
  assert.is(p.delivery_carrier, "ups");
  assert.is(p.delivery_carrier_display, "UPS");
  assert.is(Object.keys(p).length, 18);
  // No double slash after a base URL with a trailing slash.
  assert.is(p.thumbnail_url, "https://argus.example/api/v1/events/0b9e6a52-8d43-4a57-9c2e-5f1f3c6d7e80/thumbnail");
});

test("event payload: empty description stays \"\", naive timestamps gain Z, objects list is a copy", () => {
  const objects = ["car"];
  const p = eventPayload(event({ description: "", timestamp: "2026-01-02T03:04:05", objects_detected: objects }), camera(), "http://h");
  assert.is(p.description, "");
  assert.is(p.timestamp, "2026-01-02T03:04:05Z");
  assert.equal(p.objects_detected, ["car"]);
  assert.is.not(p.objects_detected, objects);
});

test.run();
