/**
 * Which retained discovery configs belong to this bridge, so that cleanup never removes another
 * application's entities (a config we do not own is never cleared, whatever its topic says).
 */
import type { DiscoveryContext } from "./discovery.js";
import { ORIGIN_NAME } from "./entities.js";
import { isMigrateMarker, isObject, parseJsonObject, type JsonObject } from "./json.js";
import { parseDiscoveryTopic } from "./topics.js";

/** Filters that see every config we could have published, in either mode (no node_id level: we never use one). */
export function discoverySubscriptions(discoveryPrefix: string): string[] {
  return [`${discoveryPrefix}/sensor/+/config`, `${discoveryPrefix}/binary_sensor/+/config`, `${discoveryPrefix}/device/+/config`];
}

/**
 * Owned when:
 *  - its availability topic (availability_topic / avty_t, or any entry of availability / avty)
 *    is ours: this also adopts configs left by the original ArgusAI, which used `P/status`; or
 *  - its origin name is "argus-bridge" and all its state topics live under `${topic_prefix}/`
 *    (survives a change of the availability topic); or
 *  - it is a bare {"migrate_discovery": true} marker on one of our own topic shapes: that is
 *    what an interrupted mode switch leaves behind, and it carries nothing else to match on.
 * Unparsable payloads and everything else: not owned. Never throws.
 */
export function isOwnedDiscoveryConfig(topic: string, payload: string, ctx: DiscoveryContext): boolean {
  const cfg = parseJsonObject(payload);
  if (cfg === null) return false;
  if (isMigrateMarker(cfg)) return Object.keys(cfg).length === 1 && parseDiscoveryTopic(topic, ctx.discovery_prefix) !== null;
  const parts = [cfg, ...components(cfg)];
  if (parts.some((p) => availabilityTopics(p).includes(ctx.availability_topic))) return true;
  return originName(cfg) === ORIGIN_NAME && stateTopicsUnder(parts, `${ctx.topic_prefix}/`);
}

/** Component configs of a device-based config (cmps / components). */
function components(cfg: JsonObject): JsonObject[] {
  const cmps = cfg.cmps ?? cfg.components;
  return isObject(cmps) ? Object.values(cmps).filter(isObject) : [];
}

function availabilityTopics(cfg: JsonObject): string[] {
  const found: string[] = [];
  for (const single of [cfg.availability_topic, cfg.avty_t]) if (typeof single === "string") found.push(single);
  for (const list of [cfg.availability, cfg.avty]) {
    if (!Array.isArray(list)) continue;
    for (const entry of list) {
      if (!isObject(entry)) continue;
      const t = entry.topic ?? entry.t;
      if (typeof t === "string") found.push(t);
    }
  }
  return found;
}

function originName(cfg: JsonObject): unknown {
  const o = cfg.origin ?? cfg.o;
  return isObject(o) ? o.name : undefined;
}

/** At least one state topic, and every one under the prefix. */
function stateTopicsUnder(parts: JsonObject[], prefix: string): boolean {
  let seen = 0;
  for (const p of parts) {
    for (const t of [p.state_topic, p.stat_t]) {
      if (t === undefined) continue;
      if (typeof t !== "string" || !t.startsWith(prefix)) return false;
      seen++;
    }
  }
  return seen > 0;
}
