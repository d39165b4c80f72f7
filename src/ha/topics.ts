/**
 * Every MQTT topic name the bridge uses, in one place. Topic shapes are part of the ArgusAI
 * compatibility contract: changing one orphans Home Assistant entities and automations.
 */
import type { DiscoveryMode } from "../mqtt/settings.js";
import { ENTITY_SPECS, type EntityKind, type HaComponent } from "./entities.js";

/** Keeps [A-Za-z0-9_-]; any other code point (not UTF-16 unit) becomes one "_". */
export function sanitizeCameraId(id: string): string {
  return id.replace(/[^A-Za-z0-9_-]/gu, "_");
}

export interface CameraStateTopics {
  event: string;
  status: string;
  last_event: string;
  counts: string;
  activity: string;
}

export function cameraStateTopics(topicPrefix: string, cameraId: string): CameraStateTopics {
  return stateTopicsForSid(topicPrefix, sanitizeCameraId(cameraId));
}

/** Same, for an id that is already sanitized (discovery templates pass a placeholder here). */
export function stateTopicsForSid(topicPrefix: string, sanitizedId: string): CameraStateTopics {
  const base = `${topicPrefix}/camera/${sanitizedId}`;
  return {
    event: `${base}/event`,
    status: `${base}/status`,
    last_event: `${base}/last_event`,
    counts: `${base}/counts`,
    activity: `${base}/activity`,
  };
}

export function testMessageTopic(topicPrefix: string): string {
  return `${topicPrefix}/test`;
}

/**
 * A private, non-retained topic the actor publishes to itself after subscribing to the discovery
 * wildcards: its echo comes after the retained messages the broker queued for that SUBSCRIBE.
 */
export function syncBarrierTopic(topicPrefix: string, nonce: string): string {
  return `${topicPrefix}/bridge/sync/${nonce}`;
}

/** Device identifier and the stem of every unique_id: `liveobject_{sid}`. */
export function deviceId(sanitizedId: string): string {
  return `liveobject_${sanitizedId}`;
}

/** `liveobject_{sid}_{kind}`: the unique_id, and the object_id of the entity-mode topic. */
export function uniqueId(sanitizedId: string, kind: EntityKind): string {
  return `liveobject_${sanitizedId}_${kind}`;
}

/** Single-component topic, as the original published it: D/<component>/liveobject_{sid}_{kind}/config. */
export function entityDiscoveryTopic(discoveryPrefix: string, component: HaComponent, sanitizedId: string, kind: EntityKind): string {
  return `${discoveryPrefix}/${component}/${uniqueId(sanitizedId, kind)}/config`;
}

/** Device-based topic: D/device/liveobject_{sid}/config. */
export function deviceDiscoveryTopic(discoveryPrefix: string, sanitizedId: string): string {
  return `${discoveryPrefix}/device/${deviceId(sanitizedId)}/config`;
}

export function cameraDiscoveryTopics(cameraId: string, discoveryPrefix: string, mode: DiscoveryMode): string[] {
  const sid = sanitizeCameraId(cameraId);
  if (mode === "device") return [deviceDiscoveryTopic(discoveryPrefix, sid)];
  return ENTITY_SPECS.map((s) => entityDiscoveryTopic(discoveryPrefix, s.component, sid, s.kind));
}

/** Both modes: what to clear when a camera goes away, whatever mode was in force when it was published. */
export function allCameraDiscoveryTopics(cameraId: string, discoveryPrefix: string): string[] {
  return [...cameraDiscoveryTopics(cameraId, discoveryPrefix, "entity"), ...cameraDiscoveryTopics(cameraId, discoveryPrefix, "device")];
}

export interface ParsedDiscoveryTopic {
  mode: DiscoveryMode;
  /** Sanitized camera id. */
  sid: string;
  /** Set in entity mode only. */
  kind: EntityKind | null;
}

// Longest suffix first: "last_event" also ends in "_event".
const KINDS_BY_LENGTH = ENTITY_SPECS.map((s) => s.kind).sort((a, b) => b.length - a.length);
const COMPONENT_OF = new Map(ENTITY_SPECS.map((s) => [s.kind, s.component]));

/**
 * Reads back one of our discovery topics; null for anything else. A camera id ending in e.g.
 * "_last" is ambiguous with the "last_event" kind (inherited from the original unique_id
 * scheme); the longest kind wins, which is right for the UUIDs cameras actually use.
 */
export function parseDiscoveryTopic(topic: string, discoveryPrefix: string): ParsedDiscoveryTopic | null {
  const head = `${discoveryPrefix}/`;
  if (!topic.startsWith(head) || !topic.endsWith("/config")) return null;
  const parts = topic.slice(head.length, -"/config".length).split("/");
  if (parts.length !== 2) return null;
  const [component, objectId] = parts as [string, string];
  if (!objectId.startsWith("liveobject_")) return null;
  const rest = objectId.slice("liveobject_".length);
  if (component === "device") return rest === "" ? null : { mode: "device", sid: rest, kind: null };
  for (const kind of KINDS_BY_LENGTH) {
    if (rest.length > kind.length + 1 && rest.endsWith(`_${kind}`) && COMPONENT_OF.get(kind) === component) {
      return { mode: "entity", sid: rest.slice(0, -(kind.length + 1)), kind };
    }
  }
  return null;
}
