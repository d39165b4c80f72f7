/** Small JSON helpers for reading retained configs back. None of them throws. */

export type JsonObject = Record<string, unknown>;

/** The payload as a JSON object, or null for "", invalid JSON, arrays and scalars. */
export function parseJsonObject(payload: string): JsonObject | null {
  if (payload === "") return null;
  try {
    const v: unknown = JSON.parse(payload);
    return isObject(v) ? v : null;
  } catch {
    return null;
  }
}

export function isObject(v: unknown): v is JsonObject {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

/** Structural equality of JSON values: object key order is irrelevant, array order is not. */
export function jsonEqual(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (typeof a !== "object" || typeof b !== "object" || a === null || b === null) return false;
  if (Array.isArray(a)) {
    if (!Array.isArray(b) || a.length !== b.length) return false;
    for (let i = 0; i < a.length; i++) if (!jsonEqual(a[i], b[i])) return false;
    return true;
  }
  if (Array.isArray(b)) return false;
  const ka = Object.keys(a);
  if (ka.length !== Object.keys(b).length) return false;
  for (const k of ka) {
    if (!Object.prototype.hasOwnProperty.call(b, k)) return false;
    if (!jsonEqual((a as JsonObject)[k], (b as JsonObject)[k])) return false;
  }
  return true;
}

/** The documented hand-over marker between the two discovery forms (also its abbreviation). */
export const MIGRATE_DISCOVERY_PAYLOAD = JSON.stringify({ migrate_discovery: true });

export function isMigrateMarker(obj: JsonObject): boolean {
  return obj.migrate_discovery === true || obj.migr_discvry === true;
}
