import { randomUUID } from "node:crypto";
import type { Db } from "./database.js";

/** Installation-wide facts, such as the instance id that keeps MQTT client ids unique. */
export class MetaRepo {
  private readonly getStmt;
  private readonly insertStmt;

  constructor(db: Db) {
    this.getStmt = db.prepare("SELECT value FROM meta WHERE key = ?");
    this.insertStmt = db.prepare("INSERT OR IGNORE INTO meta (key, value) VALUES (?, ?)");
  }

  get(key: string): string | undefined {
    return (this.getStmt.get(key) as { value: string } | undefined)?.value;
  }

  getOrCreate(key: string, create: () => string): string {
    this.insertStmt.run(key, create());
    return this.get(key)!;
  }

  instanceId(): string {
    return this.getOrCreate("instance_id", () => randomUUID());
  }
}
