/**
 * First-start admin key. The token is written to a 0600 file in the data folder; only the file's
 * path is logged, so the key never reaches a log aggregator.
 */
import { chmodSync, mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import type { Log } from "../log.js";
import type { ApiKeyStore } from "./api-keys.js";

export const ADMIN_KEY_FILE = "admin-api-key";

export function bootstrapAdminKey(keys: ApiKeyStore, opts: { dataDir: string; fixedKey: string | undefined; log: Log }): void {
  if (opts.fixedKey) {
    keys.ensureFixed("API_KEY (environment)", opts.fixedKey);
    opts.log.info("admin API key taken from API_KEY");
    return;
  }
  if (keys.countActive() > 0) return;
  const { key, token } = keys.create("bootstrap admin", ["admin"]);
  mkdirSync(opts.dataDir, { recursive: true, mode: 0o700 });
  const path = join(opts.dataDir, ADMIN_KEY_FILE);
  writeFileSync(path, token + "\n", { mode: 0o600 });
  chmodSync(path, 0o600);
  opts.log.warn({ key_id: key.id, path }, "created the first admin API key; read it from this file, then delete the file");
}
