import { test } from "uvu";
import * as assert from "uvu/assert";
import { effectiveAvailabilityTopic } from "../src/mqtt/settings.js";

test("availability topic falls back to <prefix>/status", () => {
  assert.is(effectiveAvailabilityTopic({ availability_topic: "", topic_prefix: "liveobject" }), "liveobject/status");
  assert.is(effectiveAvailabilityTopic({ availability_topic: "x/avail", topic_prefix: "liveobject" }), "x/avail");
});
test.run();
