/**
 * The six Home Assistant entities every enabled camera gets, as ONE data table. Rendering
 * (discovery.ts) is generic over it; adding an entity is adding a row. unique_ids, state
 * topics and templates are the ArgusAI compatibility contract: do not change existing rows.
 */
import type { CameraStateTopics } from "./topics.js";

export type HaComponent = "sensor" | "binary_sensor";
export type EntityKind = "event" | "status" | "last_event" | "events_today" | "events_week" | "activity";

export interface EntitySpec {
  kind: EntityKind;
  component: HaComponent;
  /** Entity name; Home Assistant shows it after the device (camera) name. Never contains the camera name, so a rename touches only the device. */
  name: string;
  /** Which of the camera's state topics feeds it. */
  topic: keyof CameraStateTopics;
  value_template: string;
  /** json_attributes_topic = the state topic. */
  attributes: boolean;
  json_attributes_template?: string;
  icon?: string;
  /** Icon for doorbell cameras, when it differs. */
  doorbell_icon?: string;
  /** The event sensor carries the detailed device model ("AI Classifier - Doorbell" ...), as in the original. */
  detailed_model: boolean;
  /** device_class, unit_of_measurement, state_class, payload_on/off: copied verbatim. */
  extra: Readonly<Record<string, string>>;
}

// HA states are capped at 255 characters, hence the cut; an empty description reads "No event".
const EVENT_VALUE =
  "{{ value_json.description[:255] if value_json.description is defined and value_json.description else 'No event' }}";
// The last_event payload calls it description_snippet; the attribute keeps the original's name.
const LAST_EVENT_ATTRIBUTES =
  "{{ {'event_id': value_json.event_id, 'description': value_json.description_snippet, " +
  "'smart_detection_type': value_json.smart_detection_type} | tojson }}";

const SPECS: EntitySpec[] = [
  {
    kind: "event", component: "sensor", name: "AI Events", topic: "event",
    value_template: EVENT_VALUE, attributes: true,
    icon: "mdi:cctv", doorbell_icon: "mdi:doorbell-video", detailed_model: true, extra: {},
  },
  {
    kind: "status", component: "sensor", name: "Status", topic: "status",
    value_template: "{{ value_json.status }}", attributes: true,
    icon: "mdi:camera", detailed_model: false, extra: {},
  },
  {
    kind: "last_event", component: "sensor", name: "Last Event", topic: "last_event",
    value_template: "{{ value_json.timestamp }}", attributes: true, json_attributes_template: LAST_EVENT_ATTRIBUTES,
    icon: "mdi:clock-outline", detailed_model: false, extra: { device_class: "timestamp" },
  },
  {
    kind: "events_today", component: "sensor", name: "Events Today", topic: "counts",
    value_template: "{{ value_json.events_today }}", attributes: false,
    icon: "mdi:counter", detailed_model: false, extra: { unit_of_measurement: "events", state_class: "total" },
  },
  {
    kind: "events_week", component: "sensor", name: "Events This Week", topic: "counts",
    value_template: "{{ value_json.events_this_week }}", attributes: false,
    icon: "mdi:calendar-week", detailed_model: false, extra: { unit_of_measurement: "events", state_class: "total" },
  },
  {
    kind: "activity", component: "binary_sensor", name: "Activity", topic: "activity",
    value_template: "{{ value_json.state }}", attributes: false,
    detailed_model: false, extra: { payload_on: "ON", payload_off: "OFF", device_class: "motion" },
  },
];

/** Order matters: it is the publish order and the order of `cmps`. */
export const ENTITY_SPECS: readonly EntitySpec[] = Object.freeze(SPECS);

export const ORIGIN_NAME = "argus-bridge";
export const ORIGIN_URL = "https://github.com/argus-bridge/argus-bridge";
export const MANUFACTURER = "ArgusAI";
export const MODEL = "AI Classifier";

/**
 * Home Assistant entity ids allow [a-z0-9_] only, without leading/trailing or doubled "_";
 * a camera UUID has hyphens (and maybe capitals), so the unique_id is slugged for default_entity_id.
 */
export function entityIdSlug(s: string): string {
  return s.toLowerCase().replace(/[^a-z0-9_]+/g, "_").replace(/_{2,}/g, "_").replace(/^_+|_+$/g, "");
}
