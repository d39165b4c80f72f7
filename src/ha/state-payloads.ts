/**
 * Payloads of the retained per-camera state topics (status, last_event, counts, activity).
 * Field names are the ArgusAI contract: the discovery templates and users' automations read them.
 */
import type { Camera, CameraRuntimeState, CameraStatus } from "../domain/camera.js";
import type { CameraEvent } from "../domain/event.js";
import { truncateCodePoints } from "./text.js";
import { ensureOffset } from "./time.js";

export const SNIPPET_MAX_CODE_POINTS = 100;

/** connected/starting -> online; disconnected -> offline; error, stopped and anything unknown -> unavailable. */
export function mapRuntimeState(state: CameraRuntimeState): CameraStatus {
  switch (state) {
    case "connected":
    case "starting":
      return "online";
    case "disconnected":
      return "offline";
    default:
      return "unavailable";
  }
}

/** `at` as a Date is written in UTC; pass an ISO string (e.g. from isoWithOffset) to keep a local offset. */
export function statusPayload(camera: Camera, status: CameraStatus, at: Date | string): Record<string, unknown> {
  return {
    camera_id: camera.id,
    camera_name: camera.name,
    status,
    source_type: camera.source_type,
    last_updated: typeof at === "string" ? at : at.toISOString(),
  };
}

export function lastEventPayload(camera: Camera, event: CameraEvent): Record<string, unknown> {
  return {
    camera_id: camera.id,
    camera_name: camera.name,
    event_id: event.id,
    timestamp: ensureOffset(event.timestamp),
    description_snippet: truncateCodePoints(event.description ?? "", SNIPPET_MAX_CODE_POINTS),
    smart_detection_type: event.smart_detection_type ?? null,
  };
}

export function countsPayload(camera: Camera, counts: { today: number; week: number }, at: Date | string): Record<string, unknown> {
  return {
    camera_id: camera.id,
    camera_name: camera.name,
    events_today: counts.today,
    events_this_week: counts.week,
    last_updated: typeof at === "string" ? at : at.toISOString(),
  };
}

export function activityPayload(cameraId: string, on: boolean, lastEventAt: string | null): Record<string, unknown> {
  return {
    camera_id: cameraId,
    state: on ? "ON" : "OFF",
    last_event_at: lastEventAt === null ? null : ensureOffset(lastEventAt),
  };
}
