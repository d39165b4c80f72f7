/**
 * Key/value settings. Ordinary values are JSON; secrets are sealed with the SecretBox, bound to
 * their key name, and only ever returned decrypted to code that needs the plaintext.
 */
import type { SecretBox } from "../crypto/secret-box.js";
import type { Db } from "./database.js";

interface Row {
  key: string;
  value: string | null;
  ciphertext: string | null;
  key_id: string | null;
}

export class SettingsRepo {
  private readonly getJsonStmt;
  private readonly setJsonStmt;
  private readonly getSecretStmt;
  private readonly infoStmt;
  private readonly setSecretStmt;
  private readonly deleteStmt;
  private readonly staleStmt;

  constructor(
    private readonly db: Db,
    private readonly box: SecretBox,
  ) {
    this.getJsonStmt = db.prepare("SELECT value FROM settings WHERE key = ? AND value IS NOT NULL");
    this.setJsonStmt = db.prepare(
      "INSERT INTO settings (key, value, ciphertext, key_id, updated_at) VALUES (?, ?, NULL, NULL, ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value, ciphertext = NULL, key_id = NULL, updated_at = excluded.updated_at",
    );
    this.getSecretStmt = db.prepare("SELECT ciphertext FROM settings WHERE key = ? AND ciphertext IS NOT NULL");
    this.infoStmt = db.prepare("SELECT value, ciphertext FROM settings WHERE key = ?");
    this.setSecretStmt = db.prepare(
      "INSERT INTO settings (key, value, ciphertext, key_id, updated_at) VALUES (?, NULL, ?, ?, ?) ON CONFLICT(key) DO UPDATE SET value = NULL, ciphertext = excluded.ciphertext, key_id = excluded.key_id, updated_at = excluded.updated_at",
    );
    this.deleteStmt = db.prepare("DELETE FROM settings WHERE key = ?");
    this.staleStmt = db.prepare("SELECT key, ciphertext, key_id FROM settings WHERE ciphertext IS NOT NULL AND key_id IS NOT ?");
  }

  getJson<T>(key: string): T | undefined {
    const row = this.getJsonStmt.get(key) as { value: string } | undefined;
    return row ? (JSON.parse(row.value) as T) : undefined;
  }

  setJson(key: string, value: unknown): void {
    this.setJsonStmt.run(key, JSON.stringify(value), new Date().toISOString());
  }

  getSecret(key: string): string | undefined {
    const row = this.getSecretStmt.get(key) as { ciphertext: string } | undefined;
    return row ? this.box.open(row.ciphertext, key) : undefined;
  }

  /** Whether a secret is set, and whether it is sealed (always true for rows this code wrote). */
  secretInfo(key: string): { configured: boolean; encrypted: boolean } {
    const row = this.infoStmt.get(key) as Pick<Row, "value" | "ciphertext"> | undefined;
    return { configured: row !== undefined, encrypted: row?.ciphertext != null };
  }

  setSecret(key: string, plaintext: string): void {
    const sealed = this.box.seal(plaintext, key);
    this.setSecretStmt.run(key, sealed.ciphertext, sealed.keyId, new Date().toISOString());
  }

  delete(key: string): void {
    this.deleteStmt.run(key);
  }

  /** Re-seals every secret still sealed by a previous key. Returns how many moved. */
  resealWithCurrentKey(): number {
    const stale = this.staleStmt.all(this.box.currentKeyId) as Row[];
    const reseal = this.db.transaction((rows: Row[]) => {
      for (const row of rows) this.setSecret(row.key, this.box.open(row.ciphertext!, row.key));
    });
    reseal(stale);
    return stale.length;
  }

  transaction<T>(fn: () => T): T {
    return this.db.transaction(fn)();
  }
}
