/**
 * The MQTT outbox: what must reach the broker, in insertion order (the AUTOINCREMENT id). Rows are
 * deleted once the broker acknowledged them (PUBACK), so the table holds only undelivered work.
 * Topics, QoS and retain are derived at delivery time from the current settings (a changed topic
 * prefix applies to waiting entries too); the payload is fixed when the entry is written.
 */
import type { Db } from "./database.js";

export type OutboxKind = "event" | "last_event" | "counts" | "activity";

export interface OutboxEntry {
  id: number;
  camera_id: string;
  kind: OutboxKind;
  event_id: string | null;
  payload: string;
  created_at: number;
}

export interface NewOutboxEntry {
  camera_id: string;
  kind: OutboxKind;
  event_id?: string | null;
  payload: string;
}

export class OutboxRepo {
  private readonly insertStmt;
  private readonly pendingStmt;
  private readonly countStmt;
  private readonly deleteStmt;

  constructor(private readonly db: Db) {
    this.insertStmt = db.prepare("INSERT INTO outbox (camera_id, kind, event_id, payload, created_at) VALUES (?, ?, ?, ?, ?)");
    this.pendingStmt = db.prepare("SELECT * FROM outbox WHERE id > ? ORDER BY id LIMIT ?");
    this.countStmt = db.prepare("SELECT COUNT(*) AS n FROM outbox");
    this.deleteStmt = db.prepare("DELETE FROM outbox WHERE id = ?");
  }

  /** Call inside the caller's transaction when the entry belongs with other writes. */
  add(entries: readonly NewOutboxEntry[], now = Date.now()): void {
    for (const e of entries) this.insertStmt.run(e.camera_id, e.kind, e.event_id ?? null, e.payload, now);
  }

  /** Undelivered entries after `afterId`, oldest first. */
  pending(limit: number, afterId = 0): OutboxEntry[] {
    return this.pendingStmt.all(afterId, limit) as OutboxEntry[];
  }

  markDelivered(ids: readonly number[]): void {
    if (ids.length === 0) return;
    this.db.transaction(() => {
      for (const id of ids) this.deleteStmt.run(id);
    })();
  }

  size(): number {
    return (this.countStmt.get() as { n: number }).n;
  }

  /** Creation time (epoch ms) of the oldest undelivered entry, or null when empty. */
  oldestCreatedAt(): number | null {
    return (this.db.prepare("SELECT MIN(created_at) AS t FROM outbox").get() as { t: number | null }).t;
  }

  /** Undelivered retained-state entries of a camera (not events). */
  pendingStateCount(cameraId: string): number {
    return (this.db.prepare("SELECT COUNT(*) AS n FROM outbox WHERE camera_id = ? AND kind <> 'event'").get(cameraId) as { n: number }).n;
  }

  /** Drops undelivered entries of one kind and camera (a newer one supersedes them). */
  dropSuperseded(cameraId: string, kind: OutboxKind): number {
    return this.db.prepare("DELETE FROM outbox WHERE camera_id = ? AND kind = ?").run(cameraId, kind).changes;
  }

  /** Applies the bounds: entries older than `minCreatedAt`, then the oldest beyond `maxEntries`. */
  enforceBounds(minCreatedAt: number, maxEntries: number): { expired: number; overflow: number } {
    return this.db.transaction(() => {
      const expired = this.db.prepare("DELETE FROM outbox WHERE created_at < ?").run(minCreatedAt).changes;
      const size = this.size();
      let overflow = 0;
      if (size > maxEntries) {
        overflow = this.db.prepare("DELETE FROM outbox WHERE id IN (SELECT id FROM outbox ORDER BY id LIMIT ?)").run(size - maxEntries).changes;
      }
      return { expired, overflow };
    })();
  }
}
