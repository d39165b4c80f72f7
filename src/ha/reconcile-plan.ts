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

  const { migrate, clear } = planLeftovers(wanted, retained, ctx);
  return { migrate, publish, clear, skipped };
}

/**
 * The leftover half of `planDiscovery`, for callers that stream the desired configs instead of
 * holding them: `wanted` is every desired topic (ctx.mode), `retained` holds the retained configs on
 * topics NOT wanted (those are compared by digest, see `payloadDigest`; any wanted topic in it is
 * ignored). Same order and rules as planDiscovery.
 */
export function planLeftovers(
  wanted: ReadonlySet<string>,
  retained: ReadonlyMap<string, string>,
  ctx: DiscoveryContext,
): { migrate: RetainedMessage[]; clear: RetainedMessage[] } {
  // Cameras that have configs in the desired (current) mode; their other-mode leftovers are a mode
  // switch. Built only when a leftover needs it: parsing 60,000 wanted topics is ~150 ms.
  let desiredSids: Set<string> | null = null;
  const desired = (sid: string): boolean => {
    if (desiredSids === null) {
      desiredSids = new Set<string>();
      for (const topic of wanted) {
        const parsed = parseDiscoveryTopic(topic, ctx.discovery_prefix);
        if (parsed !== null && parsed.mode === ctx.mode) desiredSids.add(parsed.sid);
      }
    }
    return desiredSids.has(sid);
  };
  const migrate: RetainedMessage[] = [];
  const clear: RetainedMessage[] = [];
  // Sorted so the plan does not depend on the order the broker happened to echo retained messages.
  for (const topic of [...retained.keys()].sort()) {
    if (wanted.has(topic)) continue;
    const payload = retained.get(topic)!;
    if (!isOwnedDiscoveryConfig(topic, payload, ctx)) continue;
    clear.push({ topic, payload: "" });
    const parsed = parseDiscoveryTopic(topic, ctx.discovery_prefix);
    const switching = parsed !== null && parsed.mode !== ctx.mode && desired(parsed.sid);
    // An old marker means an earlier switch was interrupted after step one: HA already unloaded it.
    if (switching && !isMarker(payload)) migrate.push({ topic, payload: MIGRATE_DISCOVERY_PAYLOAD });
  }
  return { migrate, clear };
}

/**
 * A compact digest of a payload (53-bit cyrb53 over its UTF-16 code units), so a reconcile can
 * remember "what is retained on this topic" as a number instead of the whole config. Equal digests
 * are taken as equal payloads (collision odds ~1e-16 per comparison); unlike `planDiscovery`, a
 * retained copy re-serialised with another key order is then republished once, never wrongly kept.
 */
export function payloadDigest(payload: string): number {
  let h1 = 0xdeadbeef ^ payload.length;
  let h2 = 0x41c6ce57 ^ payload.length;
  for (let i = 0; i < payload.length; i++) {
    const ch = payload.charCodeAt(i);
    h1 = Math.imul(h1 ^ ch, 2654435761);
    h2 = Math.imul(h2 ^ ch, 1597334677);
  }
  h1 = Math.imul(h1 ^ (h1 >>> 16), 2246822507) ^ Math.imul(h2 ^ (h2 >>> 13), 3266489909);
  h2 = Math.imul(h2 ^ (h2 >>> 16), 2246822507) ^ Math.imul(h1 ^ (h1 >>> 13), 3266489909);
  return 4294967296 * (2097151 & h2) + (h1 >>> 0);
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
