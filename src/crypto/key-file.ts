/**
 * Loads the encryption key: ENCRYPTION_KEY when set, else a key generated once into the data
 * folder with mode 0600 so secrets survive restarts without any setup.
 */
import { randomBytes } from "node:crypto";
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";

export const KEY_FILE_NAME = "encryption.key";

export function resolveEncryptionKey(dataDir: string, fromEnv: Buffer | undefined): { key: Buffer; source: "env" | "file" | "generated"; path?: string } {
  if (fromEnv) return { key: fromEnv, source: "env" };
  const path = join(dataDir, KEY_FILE_NAME);
  if (existsSync(path)) {
    const key = Buffer.from(readFileSync(path, "utf8").trim(), "base64");
    if (key.length !== 32) throw new Error(`${path} does not hold base64 of 32 bytes; restore it or set ENCRYPTION_KEY`);
    return { key, source: "file", path };
  }
  mkdirSync(dataDir, { recursive: true, mode: 0o700 });
  const key = randomBytes(32);
  writeFileSync(path, key.toString("base64") + "\n", { mode: 0o600, flag: "wx" });
  chmodSync(path, 0o600);
  return { key, source: "generated", path };
}
