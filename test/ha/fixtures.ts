/** Shared test data for the HA layer tests (not a test file itself). */
import type { Camera } from "../../src/domain/camera.js";
import type { DiscoveryContext } from "../../src/ha/discovery.js";

export function camera(over: Partial<Camera> = {}): Camera {
  return {
    id: "cam-1",
    name: "Driveway",
    type: "rtsp",
    source_type: "rtsp",
    is_doorbell: false,
    is_enabled: true,
    created_at: "2026-01-01T00:00:00.000Z",
    updated_at: "2026-01-01T00:00:00.000Z",
    ...over,
  };
}

/** Deliberately NOT the defaults: the original hard-coded P/status and online/offline. */
export function ctx(over: Partial<DiscoveryContext> = {}): DiscoveryContext {
  return {
    topic_prefix: "argus",
    discovery_prefix: "ha",
    mode: "entity",
    availability_topic: "bridge/avail",
    payload_available: "alive",
    payload_not_available: "dead",
    app_version: "9.8.7",
    ...over,
  };
}
