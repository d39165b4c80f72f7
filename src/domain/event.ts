/**
 * A stored camera event, as every part of the bridge sees it. Plain data: it crosses thread
 * boundaries. Field names follow the original ArgusAI backend because they end up, unchanged,
 * in the MQTT event payload that Home Assistant automations read.
 */
export interface CameraEvent {
  /** UUID. */
  id: string;
  camera_id: string;
  /** AI description; "" when the analysis produced none. */
  description: string;
  objects_detected: string[];
  /** 0..100. */
  confidence: number;
  /** ISO 8601 with an offset (a naive value is read as UTC, as the original stored it). */
  timestamp: string;
  created_at: string;

  // Optional: published only when set (not null or undefined), per the compatibility contract.
  ai_confidence?: number | null;
  smart_detection_type?: string | null;
  is_doorbell_ring?: boolean | null;
  provider_used?: string | null;
  analysis_mode?: string | null;
  low_confidence?: boolean | null;
  correlation_group_id?: string | null;
  delivery_carrier?: string | null;
  delivery_carrier_display?: string | null;
}

/** The optional fields, in the order the event payload lists them. */
export const OPTIONAL_EVENT_FIELDS = [
  "ai_confidence",
  "smart_detection_type",
  "is_doorbell_ring",
  "provider_used",
  "analysis_mode",
  "low_confidence",
  "correlation_group_id",
  "delivery_carrier",
  "delivery_carrier_display",
] as const satisfies readonly (keyof CameraEvent)[];
