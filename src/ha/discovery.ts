/**
 * Renders Home Assistant discovery configs for cameras. Pure: the actor decides when and where
 * to publish.
 *
 * Speed matters: a reconcile renders every camera (10,000 cameras = 60,000 configs). Building
 * and serialising 60,000 objects costs over a second, so the configs are built ONCE per context
 * and camera variant with placeholder tokens, serialised, and split into fragments; each camera
 * then only splices its id, entity-id slug and name into those fragments. `configObjects` stays
 * the single, readable definition of what a config contains.
 */
import type { Camera } from "../domain/camera.js";
import { effectiveAvailabilityTopic, type DiscoveryMode, type MqttSettings } from "../mqtt/settings.js";
import { ENTITY_SPECS, MANUFACTURER, MODEL, ORIGIN_NAME, ORIGIN_URL, entityIdSlug } from "./entities.js";
import { deviceDiscoveryTopic, deviceId, entityDiscoveryTopic, sanitizeCameraId, stateTopicsForSid, uniqueId } from "./topics.js";

export { allCameraDiscoveryTopics, cameraDiscoveryTopics } from "./topics.js";

export interface DiscoveryContext {
  topic_prefix: string;
  discovery_prefix: string;
  mode: DiscoveryMode;
  availability_topic: string;
  payload_available: string;
  payload_not_available: string;
  app_version: string;
}

/** A retained message to send; payload "" clears the retained copy (and removes the HA entity). */
export interface RetainedMessage {
  topic: string;
  payload: string;
}

/** Availability comes from the settings, never hard-coded (the original's defect 4). */
export function discoveryContextFrom(settings: MqttSettings, appVersion: string): DiscoveryContext {
  return {
    topic_prefix: settings.topic_prefix,
    discovery_prefix: settings.discovery_prefix,
    mode: settings.discovery_mode,
    availability_topic: effectiveAvailabilityTopic(settings),
    payload_available: settings.birth_message,
    payload_not_available: settings.will_message,
    app_version: appVersion,
  };
}

const DETAILED_MODEL: Readonly<Record<Camera["source_type"], string>> = {
  protect: `${MODEL} - Protect`,
  usb: `${MODEL} - USB`,
  rtsp: `${MODEL} - RTSP`,
};

/** "AI Classifier - Doorbell|Protect|USB|RTSP": doorbell wins over the source type. */
export function detailedModel(camera: Pick<Camera, "is_doorbell" | "source_type">): string {
  return camera.is_doorbell ? `${MODEL} - Doorbell` : (DETAILED_MODEL[camera.source_type] ?? MODEL);
}

/** The part of an entity id after "sensor.": lowercase [a-z0-9_] (a UUID's hyphens are not allowed). */
export function entityIdStem(sanitizedId: string): string {
  return entityIdSlug(sanitizedId) || "camera";
}

/** What varies between cameras, once the context is fixed. */
interface CameraVars {
  sid: string;
  stem: string;
  name: string;
  is_doorbell: boolean;
  detailed_model: string;
}

type Json = Record<string, unknown>;

/** The config objects of one camera: six in entity mode (table order), one in device mode. */
function configObjects(v: CameraVars, ctx: DiscoveryContext): Json[] {
  const origin = { name: ORIGIN_NAME, sw: ctx.app_version, url: ORIGIN_URL };
  // Never hard-coded: custom availability topics and texts must reach Home Assistant.
  const availability = {
    availability_topic: ctx.availability_topic,
    payload_available: ctx.payload_available,
    payload_not_available: ctx.payload_not_available,
  };
  const topics = stateTopicsForSid(ctx.topic_prefix, v.sid);
  const bodies = ENTITY_SPECS.map((spec) => {
    const stateTopic = topics[spec.topic];
    const body: Json = {
      name: spec.name,
      unique_id: uniqueId(v.sid, spec.kind),
      default_entity_id: `${spec.component}.liveobject_${v.stem}_${spec.kind}`,
      state_topic: stateTopic,
      value_template: spec.value_template,
    };
    if (spec.attributes) body.json_attributes_topic = stateTopic;
    if (spec.json_attributes_template !== undefined) body.json_attributes_template = spec.json_attributes_template;
    const icon = v.is_doorbell && spec.doorbell_icon !== undefined ? spec.doorbell_icon : spec.icon;
    if (icon !== undefined) body.icon = icon;
    Object.assign(body, spec.extra);
    return body;
  });
  const device = (model: string) => ({
    identifiers: [deviceId(v.sid)],
    name: v.name,
    manufacturer: MANUFACTURER,
    model,
    sw_version: ctx.app_version,
  });

  if (ctx.mode === "device") {
    const cmps: Json = {};
    ENTITY_SPECS.forEach((spec, i) => (cmps[spec.kind] = { p: spec.component, ...bodies[i] }));
    // One device block, so one model: the detailed one, which says more. Availability is a
    // shared option of device discovery: given once, every component inherits it.
    return [{ dev: device(v.detailed_model), o: origin, cmps, ...availability }];
  }
  return ENTITY_SPECS.map((spec, i) => ({
    ...bodies[i],
    ...availability,
    device: device(spec.detailed_model ? v.detailed_model : MODEL),
    origin,
  }));
}

// Placeholders; JSON.stringify writes U+0001 as the six characters \u0001, which no sanitized
// id, slug or escaped name can contain.
const SID = "\u0001s";
const STEM = "\u0001e";
const NAME = "\u0001n";
const TOKEN = /\\u0001([sen])/;

type Filler = (sid: string, stem: string, nameEscaped: string) => string;

/** Splits a serialised template at its placeholders; the result splices values back in. */
function compile(json: string): Filler {
  const parts = json.split(TOKEN); // literal, token letter, literal, ...
  const tokens = parts.map((p, i) => (i % 2 === 1 ? p : null));
  return (sid, stem, nameEscaped) => {
    // join() yields one flat string; `+=` would leave a rope of ~20 nodes per payload for the GC.
    const out = parts.slice();
    for (let i = 1; i < out.length; i += 2) {
      const t = tokens[i];
      out[i] = t === "s" ? sid : t === "e" ? stem : nameEscaped;
    }
    return out.join("");
  };
}

type CameraRenderer = (camera: Camera) => RetainedMessage[];

/** Per-context renderer; templates are compiled lazily per variant (at most four: doorbell/protect/usb/rtsp). */
function rendererFor(ctx: DiscoveryContext): CameraRenderer {
  const variants = new Map<string, Filler[]>();
  const fillersFor = (camera: Camera): Filler[] => {
    const model = detailedModel(camera);
    const key = `${camera.is_doorbell ? 1 : 0}${model}`;
    let fillers = variants.get(key);
    if (fillers === undefined) {
      const vars: CameraVars = { sid: SID, stem: STEM, name: NAME, is_doorbell: camera.is_doorbell, detailed_model: model };
      fillers = configObjects(vars, ctx).map((o) => compile(JSON.stringify(o)));
      variants.set(key, fillers);
    }
    return fillers;
  };

  return (camera) => {
    const sid = sanitizeCameraId(camera.id);
    const stem = entityIdStem(sid);
    const name = JSON.stringify(camera.name).slice(1, -1);
    const fillers = fillersFor(camera);
    if (ctx.mode === "device") {
      return [{ topic: deviceDiscoveryTopic(ctx.discovery_prefix, sid), payload: fillers[0]!(sid, stem, name) }];
    }
    return ENTITY_SPECS.map((spec, i) => ({
      topic: entityDiscoveryTopic(ctx.discovery_prefix, spec.component, sid, spec.kind),
      payload: fillers[i]!(sid, stem, name),
    }));
  };
}

/**
 * One camera's configs in ctx.mode: six single-component messages, or one device message.
 * Does not look at is_enabled: callers decide whether a camera should exist (renderDiscovery does).
 */
export function renderCameraDiscovery(camera: Camera, ctx: DiscoveryContext): RetainedMessage[] {
  return rendererFor(ctx)(camera);
}

/** Enabled cameras only, ordered by camera id so the output does not depend on the input order. */
export function renderDiscovery(cameras: readonly Camera[], ctx: DiscoveryContext): RetainedMessage[] {
  const render = rendererFor(ctx);
  const enabled = cameras.filter((c) => c.is_enabled).sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  const out: RetainedMessage[] = [];
  for (const camera of enabled) for (const m of render(camera)) out.push(m);
  return out;
}
