/**
 * API keys: random 32-byte tokens shown once. Only a SHA-256 digest is stored, so a leaked database
 * yields no usable key; lookups compare digests in constant time.
 */
import { createHash, randomBytes, randomUUID, timingSafeEqual } from "node:crypto";
import type { Db } from "../store/database.js";

export const SCOPES = ["read", "write", "admin"] as const;
export type Scope = (typeof SCOPES)[number];

export interface ApiKeyInfo {
  id: string;
  name: string;
  scopes: Scope[];
  created_at: string;
  last_used_at: string | null;
  revoked_at: string | null;
}

interface ApiKeyRow extends Omit<ApiKeyInfo, "scopes"> {
  digest: string;
  scopes: string;
}

const TOKEN_PREFIX = "ab_";

export function digestToken(token: string): Buffer {
  return createHash("sha256").update(token, "utf8").digest();
}

export function generateToken(): string {
  return TOKEN_PREFIX + randomBytes(32).toString("base64url");
}

/** admin implies write implies read. */
export function grants(scopes: readonly Scope[], needed: Scope): boolean {
  if (scopes.includes("admin")) return true;
  if (needed === "read") return scopes.includes("read") || scopes.includes("write");
  return scopes.includes(needed);
}

const toInfo = (r: ApiKeyRow): ApiKeyInfo => ({
  id: r.id,
  name: r.name,
  scopes: r.scopes.split(",") as Scope[],
  created_at: r.created_at,
  last_used_at: r.last_used_at,
  revoked_at: r.revoked_at,
});

/** How long a verified key is answered from memory (a revoke in this process applies at once). */
export const AUTH_CACHE_TTL_MS = 5_000;
const AUTH_CACHE_MAX = 1_000;
/** `last_used_at` is written at most this often per key. */
export const TOUCH_INTERVAL_MS = 60_000;

interface CachedKey {
  row: ApiKeyRow;
  digest: Buffer;
  expires: number;
}

export class ApiKeyStore {
  private readonly insertStmt;
  private readonly listStmt;
  private readonly countActiveStmt;
  private readonly revokeStmt;
  private readonly findStmt;
  private readonly touchStmt;
  private readonly dataVersionStmt;
  private dataVersion = -1;
  /**
   * digest (hex) -> verified active key, for AUTH_CACHE_TTL_MS. Insertion order is recency order
   * (a hit is re-inserted), so the first entry is the least recently used one. Only positive
   * answers are cached; revoke() drops the key's entries at once, and any commit by another
   * connection (the keys CLI revoking a key) empties the cache: SQLite's `PRAGMA data_version`
   * changes exactly then, and reading it touches no table.
   */
  private readonly cache = new Map<string, CachedKey>();
  /** key id -> epoch ms of the last `last_used_at` write. */
  private readonly touched = new Map<string, number>();

  constructor(db: Db) {
    this.insertStmt = db.prepare("INSERT INTO api_keys (id, name, digest, scopes, created_at) VALUES (@id, @name, @digest, @scopes, @created_at)");
    this.listStmt = db.prepare("SELECT * FROM api_keys ORDER BY created_at");
    this.countActiveStmt = db.prepare("SELECT COUNT(*) AS n FROM api_keys WHERE revoked_at IS NULL");
    this.revokeStmt = db.prepare("UPDATE api_keys SET revoked_at = ? WHERE id = ? AND revoked_at IS NULL");
    this.findStmt = db.prepare("SELECT * FROM api_keys WHERE digest = ? AND revoked_at IS NULL");
    this.touchStmt = db.prepare("UPDATE api_keys SET last_used_at = ? WHERE id = ?");
    this.dataVersionStmt = db.prepare("PRAGMA data_version").pluck();
  }

  /** Returns the token once; it cannot be recovered later. */
  create(name: string, scopes: readonly Scope[]): { key: ApiKeyInfo; token: string } {
    return this.insert(name, scopes, generateToken());
  }

  /** Registers a token chosen by the operator (API_KEY), idempotently. */
  ensureFixed(name: string, token: string): ApiKeyInfo {
    const existing = this.findActive(token);
    return existing ?? this.insert(name, ["admin"], token).key;
  }

  private insert(name: string, scopes: readonly Scope[], token: string): { key: ApiKeyInfo; token: string } {
    const row: ApiKeyRow = {
      id: randomUUID(),
      name,
      digest: digestToken(token).toString("hex"),
      scopes: [...new Set(scopes)].join(","),
      created_at: new Date().toISOString(),
      last_used_at: null,
      revoked_at: null,
    };
    this.insertStmt.run(row);
    return { key: toInfo(row), token };
  }

  list(): ApiKeyInfo[] {
    return (this.listStmt.all() as ApiKeyRow[]).map(toInfo);
  }

  countActive(): number {
    return (this.countActiveStmt.get() as { n: number }).n;
  }

  revoke(id: string): boolean {
    this.forget(id);
    const changed = this.revokeStmt.run(new Date().toISOString(), id).changes > 0;
    this.forget(id);
    return changed;
  }

  /**
   * Finds the active key for a token. The digest lookup uses the unique index (or the short-lived
   * cache, a hash lookup as well); the final check is a constant-time comparison so response timing
   * says nothing about partial matches.
   */
  findActive(token: string): ApiKeyInfo | undefined {
    if (token.length === 0 || token.length > 512) return undefined;
    const digest = digestToken(token);
    const hex = digest.toString("hex");
    const now = Date.now();
    // Read before any row, so a commit by another connection after this point is seen next time.
    const version = this.dataVersionStmt.get() as number;
    if (version !== this.dataVersion) {
      this.cache.clear();
      this.dataVersion = version;
    }
    let entry = this.cache.get(hex);
    if (entry) {
      this.cache.delete(hex);
      if (entry.expires <= now) entry = undefined;
    }
    if (!entry) {
      const row = this.findStmt.get(hex) as ApiKeyRow | undefined;
      if (!row) return undefined;
      entry = { row, digest: Buffer.from(row.digest, "hex"), expires: now + AUTH_CACHE_TTL_MS };
    }
    if (!(entry.digest.length === digest.length && timingSafeEqual(entry.digest, digest))) return undefined;
    this.cache.set(hex, entry); // most recently used last
    if (this.cache.size > AUTH_CACHE_MAX) this.cache.delete(this.cache.keys().next().value!);
    return toInfo(entry.row);
  }

  /** Records use of a key: at most one write per key per TOUCH_INTERVAL_MS. */
  touch(id: string, now = Date.now()): void {
    const last = this.touched.get(id);
    if (last !== undefined && now - last < TOUCH_INTERVAL_MS) return;
    if (this.touched.size >= AUTH_CACHE_MAX) this.touched.clear();
    this.touched.set(id, now);
    const at = new Date(now).toISOString();
    this.touchStmt.run(at, id);
    for (const entry of this.cache.values()) if (entry.row.id === id) entry.row = { ...entry.row, last_used_at: at };
  }

  private forget(id: string): void {
    for (const [hex, entry] of this.cache) if (entry.row.id === id) this.cache.delete(hex);
  }
}
