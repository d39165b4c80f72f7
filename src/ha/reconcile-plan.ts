/**
 * The decision half of a discovery reconcile, pure: given the configs we want and the retained
 * configs the broker echoed back, what to send. Skipping identical configs is what keeps a
 * 10,000-camera reconnect from becoming a discovery storm.
 */
import type { DiscoveryContext, RetainedMessage } from "./discovery.js";
import { MIGRATE_DISCOVERY_PAYLOAD, isMigrateMarker, jsonEqual, parseJsonObject } from "./json.js";
import { isOwnedDiscoveryConfig } from "./ownership.js";
import { parseDiscoveryTopic } from "./topics.js";

export interface DiscoveryPlan {
  /** {"migrate_discovery": true} on the old-mode topics of cameras that switch mode: send FIRST. */
  migrate: RetainedMessage[];
  /** Desired configs whose retained copy is missing or different, in desired order: send SECOND. */
  publish: RetainedMessage[];
  /** Owned retained configs that match no desired topic, payload "": send LAST. */
  clear: RetainedMessage[];
  /** Desired configs already retained identically. */
  skipped: number;
}

/**
 * Mode switch, per the Home Assistant docs ("Migration from single component to device-based
 * discovery", and its rollback): marker on every old topic, then the new configs, then empty
 * payloads on the old topics. Entities keep their unique_ids, so history and automations survive.
 */
export function planDiscovery(
  desired: readonly RetainedMessage[],
  retained: ReadonlyMap<string, string>,
  ctx: DiscoveryContext,
): DiscoveryPlan {
  const publish: RetainedMessage[] = [];
  const wanted = new Set<string>();
  let skipped = 0;
  for (const m of desired) {
    wanted.add(m.topic);
    const old = retained.get(m.topic);
    if (old !== undefined && samePayload(old, m.payload)) skipped++;
    else publish.push(m);
  }

  // Cameras that have configs in the desired (current) mode; their other-mode leftovers are a mode switch.
  const desiredSids = new Set<string>();
  for (const topic of wanted) {
    const parsed = parseDiscoveryTopic(topic, ctx.discovery_prefix);
    if (parsed !== null && parsed.mode === ctx.mode) desiredSids.add(parsed.sid);
  }

  const migrate: RetainedMessage[] = [];
  const clear: RetainedMessage[] = [];
  // Sorted so the plan does not depend on the order the broker happened to echo retained messages.
  for (const topic of [...retained.keys()].sort()) {
    if (wanted.has(topic)) continue;
    const payload = retained.get(topic)!;
    if (!isOwnedDiscoveryConfig(topic, payload, ctx)) continue;
    clear.push({ topic, payload: "" });
    const parsed = parseDiscoveryTopic(topic, ctx.discovery_prefix);
    const switching = parsed !== null && parsed.mode !== ctx.mode && desiredSids.has(parsed.sid);
    // An old marker means an earlier switch was interrupted after step one: HA already unloaded it.
    if (switching && !isMarker(payload)) migrate.push({ topic, payload: MIGRATE_DISCOVERY_PAYLOAD });
  }
  return { migrate, publish, clear, skipped };
}

/** Byte-equal, or equal as JSON (a broker or tool may re-serialise with another key order). */
function samePayload(retained: string, desired: string): boolean {
  if (retained === desired) return true;
  const a = parseJsonObject(retained);
  return a !== null && jsonEqual(a, parseJsonObject(desired));
}

function isMarker(payload: string): boolean {
  const obj = parseJsonObject(payload);
  return obj !== null && isMigrateMarker(obj);
}
