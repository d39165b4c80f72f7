/**
 * The event message on `P/camera/{sid}/event`, exactly as the ArgusAI contract lists it: nine
 * fields always, the optional ones only when set (an absent key, never null: automations test
 * for presence).
 */
import type { Camera } from "../domain/camera.js";
import { OPTIONAL_EVENT_FIELDS, type CameraEvent } from "../domain/event.js";
import { ensureOffset } from "./time.js";

export function eventPayload(event: CameraEvent, camera: Camera, apiBaseUrl: string): Record<string, unknown> {
  const payload: Record<string, unknown> = {
    event_id: event.id,
    camera_id: camera.id,
    camera_name: camera.name,
    description: event.description ?? "",
    objects_detected: [...(event.objects_detected ?? [])],
    confidence: event.confidence,
    source_type: camera.source_type,
    timestamp: ensureOffset(event.timestamp),
    thumbnail_url: thumbnailUrl(apiBaseUrl, event.id),
  };
  for (const key of OPTIONAL_EVENT_FIELDS) {
    const value = event[key];
    if (value !== null && value !== undefined) payload[key] = value;
  }
  return payload;
}

/** `${base}/api/v1/events/{id}/thumbnail`; a trailing slash on the base must not double up. */
export function thumbnailUrl(apiBaseUrl: string, eventId: string): string {
  return `${apiBaseUrl.replace(/\/+$/, "")}/api/v1/events/${encodeURIComponent(eventId)}/thumbnail`;
}
