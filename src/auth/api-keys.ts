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

export class ApiKeyStore {
  constructor(private readonly db: Db) {}

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
    this.db.prepare("INSERT INTO api_keys (id, name, digest, scopes, created_at) VALUES (@id, @name, @digest, @scopes, @created_at)").run(row);
    return { key: toInfo(row), token };
  }

  list(): ApiKeyInfo[] {
    return (this.db.prepare("SELECT * FROM api_keys ORDER BY created_at").all() as ApiKeyRow[]).map(toInfo);
  }

  countActive(): number {
    return (this.db.prepare("SELECT COUNT(*) AS n FROM api_keys WHERE revoked_at IS NULL").get() as { n: number }).n;
  }

  revoke(id: string): boolean {
    return this.db.prepare("UPDATE api_keys SET revoked_at = ? WHERE id = ? AND revoked_at IS NULL").run(new Date().toISOString(), id).changes > 0;
  }

  /**
   * Finds the active key for a token. The digest lookup uses the unique index; the final check is a
   * constant-time comparison so response timing says nothing about partial matches.
   */
  findActive(token: string): ApiKeyInfo | undefined {
    if (token.length === 0 || token.length > 512) return undefined;
    const digest = digestToken(token);
    const row = this.db.prepare("SELECT * FROM api_keys WHERE digest = ? AND revoked_at IS NULL").get(digest.toString("hex")) as ApiKeyRow | undefined;
    if (!row) return undefined;
    const stored = Buffer.from(row.digest, "hex");
    return stored.length === digest.length && timingSafeEqual(stored, digest) ? toInfo(row) : undefined;
  }

  touch(id: string): void {
    this.db.prepare("UPDATE api_keys SET last_used_at = ? WHERE id = ?").run(new Date().toISOString(), id);
  }
}
