/**
 * AES-256-GCM for secrets at rest. Each value gets a fresh 12-byte IV; the envelope records which
 * key sealed it so ENCRYPTION_KEY can be rotated (old key kept as ENCRYPTION_KEY_PREVIOUS, values
 * re-sealed on start). The setting's name is bound as associated data: a ciphertext copied into
 * another row fails to open.
 */
import { createCipheriv, createDecipheriv, createHash, randomBytes } from "node:crypto";

const VERSION = "v1";

export interface SealedValue {
  ciphertext: string;
  keyId: string;
}

export class SecretBoxError extends Error {
  override name = "SecretBoxError";
}

/** A short public fingerprint of a key: enough to pick the right key, useless to an attacker. */
export function keyIdOf(key: Buffer): string {
  return createHash("sha256").update("argus-bridge key id").update(key).digest("hex").slice(0, 16);
}

export class SecretBox {
  readonly currentKeyId: string;
  private readonly keys = new Map<string, Buffer>();

  constructor(current: Buffer, previous?: Buffer) {
    if (current.length !== 32) throw new SecretBoxError("encryption key must be 32 bytes");
    this.currentKeyId = keyIdOf(current);
    this.keys.set(this.currentKeyId, current);
    if (previous) {
      if (previous.length !== 32) throw new SecretBoxError("previous encryption key must be 32 bytes");
      this.keys.set(keyIdOf(previous), previous);
    }
  }

  seal(plaintext: string, associatedData: string): SealedValue {
    const key = this.keys.get(this.currentKeyId)!;
    const iv = randomBytes(12);
    const cipher = createCipheriv("aes-256-gcm", key, iv);
    cipher.setAAD(Buffer.from(associatedData, "utf8"));
    const body = Buffer.concat([cipher.update(plaintext, "utf8"), cipher.final()]);
    const tag = cipher.getAuthTag();
    const parts = [VERSION, this.currentKeyId, iv.toString("base64url"), tag.toString("base64url"), body.toString("base64url")];
    return { ciphertext: parts.join("."), keyId: this.currentKeyId };
  }

  open(ciphertext: string, associatedData: string): string {
    const [version, keyId, iv, tag, body] = ciphertext.split(".");
    if (version !== VERSION || !keyId || iv === undefined || tag === undefined || body === undefined) {
      throw new SecretBoxError("unrecognised secret envelope");
    }
    const key = this.keys.get(keyId);
    if (!key) throw new SecretBoxError("secret was sealed with a key that is not configured (set ENCRYPTION_KEY_PREVIOUS)");
    try {
      const decipher = createDecipheriv("aes-256-gcm", key, Buffer.from(iv, "base64url"));
      decipher.setAAD(Buffer.from(associatedData, "utf8"));
      decipher.setAuthTag(Buffer.from(tag, "base64url"));
      return Buffer.concat([decipher.update(Buffer.from(body, "base64url")), decipher.final()]).toString("utf8");
    } catch {
      throw new SecretBoxError("secret failed authentication (wrong key or tampered value)");
    }
  }
}
