/** The store: one SQLite database and the repositories over it, built from their parts. */
import { join } from "node:path";
import { ApiKeyStore } from "../auth/api-keys.js";
import type { SecretBox } from "../crypto/secret-box.js";
import { CamerasRepo } from "./cameras-repo.js";
import { openDatabase, type Db } from "./database.js";
import { EventsRepo } from "./events-repo.js";
import { MetaRepo } from "./meta-repo.js";
import { OutboxRepo } from "./outbox-repo.js";
import { SettingsRepo } from "./settings-repo.js";

export interface Store {
  db: Db;
  settings: SettingsRepo;
  cameras: CamerasRepo;
  apiKeys: ApiKeyStore;
  meta: MetaRepo;
  events: EventsRepo;
  outbox: OutboxRepo;
  /** Cheap liveness probe for /health. */
  ping(): boolean;
  close(): void;
}

export const DATABASE_FILE = "argus-bridge.db";

export function openStore(opts: { file: string; box: SecretBox }): Store {
  const db = openDatabase(opts.file);
  const pingStmt = db.prepare("SELECT 1 AS ok");
  return {
    db,
    settings: new SettingsRepo(db, opts.box),
    cameras: new CamerasRepo(db),
    apiKeys: new ApiKeyStore(db),
    meta: new MetaRepo(db),
    events: new EventsRepo(db),
    outbox: new OutboxRepo(db),
    ping: () => {
      try {
        return (pingStmt.get() as { ok: number }).ok === 1;
      } catch {
        return false;
      }
    },
    close: () => {
      if (db.open) db.close();
    },
  };
}

export const databasePath = (dataDir: string): string => join(dataDir, DATABASE_FILE);
