import { randomUUID } from "node:crypto";
import type { Db } from "./database.js";

/** Installation-wide facts, such as the instance id that keeps MQTT client ids unique. */
export class MetaRepo {
  constructor(private readonly db: Db) {}

  get(key: string): string | undefined {
    return (this.db.prepare("SELECT value FROM meta WHERE key = ?").get(key) as { value: string } | undefined)?.value;
  }

  getOrCreate(key: string, create: () => string): string {
    this.db.prepare("INSERT OR IGNORE INTO meta (key, value) VALUES (?, ?)").run(key, create());
    return this.get(key)!;
  }

  instanceId(): string {
    return this.getOrCreate("instance_id", () => randomUUID());
  }
}
