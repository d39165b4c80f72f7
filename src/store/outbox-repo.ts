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
  private readonly deleteManyStmt;
  private readonly oldestStmt;
  private readonly pendingStateStmt;
  private readonly pendingStateAllStmt;
  private readonly dropSupersededStmt;
  private readonly dropKindStmt;
  private readonly expireStmt;
  private readonly overflowStmt;

  constructor(private readonly db: Db) {
    this.insertStmt = db.prepare("INSERT INTO outbox (camera_id, kind, event_id, payload, created_at) VALUES (?, ?, ?, ?, ?)");
    this.pendingStmt = db.prepare("SELECT * FROM outbox WHERE id > ? ORDER BY id LIMIT ?");
    this.countStmt = db.prepare("SELECT COUNT(*) AS n FROM outbox");
    this.deleteStmt = db.prepare("DELETE FROM outbox WHERE id = ?");
    this.deleteManyStmt = db.prepare("DELETE FROM outbox WHERE id IN (SELECT value FROM json_each(?))");
    this.oldestStmt = db.prepare("SELECT MIN(created_at) AS t FROM outbox");
    this.pendingStateStmt = db.prepare("SELECT COUNT(*) AS n FROM outbox WHERE camera_id = ? AND kind <> 'event'");
    this.pendingStateAllStmt = db.prepare("SELECT DISTINCT camera_id FROM outbox WHERE kind <> 'event'");
    this.dropSupersededStmt = db.prepare("DELETE FROM outbox WHERE camera_id = ? AND kind = ?");
    this.dropKindStmt = db.prepare("DELETE FROM outbox WHERE kind = ?");
    this.expireStmt = db.prepare("DELETE FROM outbox WHERE created_at < ?");
    this.overflowStmt = db.prepare("DELETE FROM outbox WHERE id IN (SELECT id FROM outbox ORDER BY id LIMIT ?)");
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
    if (ids.length === 1) {
      this.deleteStmt.run(ids[0]);
      return;
    }
    // One statement for the whole acknowledged batch (a statement is atomic on its own).
    this.deleteManyStmt.run(JSON.stringify(ids));
  }

  size(): number {
    return (this.countStmt.get() as { n: number }).n;
  }

  /** Creation time (epoch ms) of the oldest undelivered entry, or null when empty. */
  oldestCreatedAt(): number | null {
    return (this.oldestStmt.get() as { t: number | null }).t;
  }

  /** Undelivered retained-state entries of a camera (not events). */
  pendingStateCount(cameraId: string): number {
    return (this.pendingStateStmt.get(cameraId) as { n: number }).n;
  }

  /** Cameras with undelivered retained-state entries (not events), in one statement. */
  camerasWithPendingState(): Set<string> {
    return new Set((this.pendingStateAllStmt.all() as Array<{ camera_id: string }>).map((r) => r.camera_id));
  }

  /** Drops undelivered entries of one kind and camera (a newer one supersedes them). */
  dropSuperseded(cameraId: string, kind: OutboxKind): number {
    return this.dropSupersededStmt.run(cameraId, kind).changes;
  }

  /** Drops every undelivered entry of one kind, all cameras (one statement). */
  dropKind(kind: OutboxKind): number {
    return this.dropKindStmt.run(kind).changes;
  }

  /** Applies the bounds: entries older than `minCreatedAt`, then the oldest beyond `maxEntries`. */
  enforceBounds(minCreatedAt: number, maxEntries: number): { expired: number; overflow: number } {
    return this.db.transaction(() => {
      const expired = this.expireStmt.run(minCreatedAt).changes;
      const size = this.size();
      let overflow = 0;
      if (size > maxEntries) {
        overflow = this.overflowStmt.run(size - maxEntries).changes;
      }
      return { expired, overflow };
    })();
  }
}
