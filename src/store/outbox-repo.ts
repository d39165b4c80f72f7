/**
 * The MQTT outbox: what must reach the broker, in insertion order (the AUTOINCREMENT id). Rows are
 * deleted once the broker acknowledged them (PUBACK), so the table holds only undelivered work.
 * Topics, QoS and retain are derived at delivery time from the current settings (a changed topic
 * prefix applies to waiting entries too); the payload is fixed when the entry is written.
 *
 * A row carries one message, except 'event_bundle' (schema v3): the messages of one new event
 * (event, last_event, counts, activity ON, in that order) in one row, so an event costs one insert
 * and one delete instead of four. Its payload is a JSON object whose values are the messages'
 * payload strings (see BundleParts); the pump expands it and deletes the row only when every one
 * of its messages was acknowledged. Rows of the single-message kinds written before v3 stay valid.
 * Bounds (OUTBOX_MAX_ENTRIES) count rows, not messages.
 */
import type { Db } from "./database.js";

export type OutboxKind = "event" | "last_event" | "counts" | "activity" | "event_bundle";

/** The payload of an 'event_bundle' row: each value is one message's payload, as published. */
export interface BundleParts {
  event?: string;
  last_event?: string;
  counts?: string;
  activity?: string;
}

/** Delivery order of a bundle's messages. */
export const BUNDLE_ORDER = ["event", "last_event", "counts", "activity"] as const;

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
  private readonly firstFreshStmt;
  private readonly expireBeforeStmt;
  private readonly clearStmt;
  private readonly overflowStmt;

  constructor(private readonly db: Db) {
    this.insertStmt = db.prepare("INSERT INTO outbox (camera_id, kind, event_id, payload, created_at) VALUES (?, ?, ?, ?, ?)");
    this.pendingStmt = db.prepare("SELECT * FROM outbox WHERE id > ? ORDER BY id LIMIT ?");
    this.countStmt = db.prepare("SELECT COUNT(*) AS n FROM outbox");
    this.deleteStmt = db.prepare("DELETE FROM outbox WHERE id = ?");
    this.deleteManyStmt = db.prepare("DELETE FROM outbox WHERE id IN (SELECT value FROM json_each(?))");
    // created_at grows with id (both are assigned at insert time), so the oldest row is the first.
    this.oldestStmt = db.prepare("SELECT created_at AS t FROM outbox ORDER BY id LIMIT 1");
    this.pendingStateStmt = db.prepare("SELECT COUNT(*) AS n FROM outbox WHERE camera_id = ? AND kind <> 'event'");
    this.pendingStateAllStmt = db.prepare("SELECT DISTINCT camera_id FROM outbox WHERE kind <> 'event'");
    this.dropSupersededStmt = db.prepare("DELETE FROM outbox WHERE camera_id = ? AND kind = ?");
    this.dropKindStmt = db.prepare("DELETE FROM outbox WHERE kind = ?");
    // Expiry walks the rows in id order up to the first fresh one (no created_at index needed):
    // the cost is the number of expired rows, plus one.
    this.firstFreshStmt = db.prepare("SELECT id FROM outbox WHERE created_at >= ? ORDER BY id LIMIT 1");
    this.expireBeforeStmt = db.prepare("DELETE FROM outbox WHERE id < ?");
    this.clearStmt = db.prepare("DELETE FROM outbox");
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
    return (this.oldestStmt.get() as { t: number } | undefined)?.t ?? null;
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

  /**
   * Applies the bounds: rows older than `minCreatedAt` (every row before the first younger one, in
   * id order: created_at is monotonic with id unless the wall clock stepped back), then the oldest
   * rows beyond `maxEntries`. Both count rows (a bundle is one row of up to four messages).
   */
  enforceBounds(minCreatedAt: number, maxEntries: number): { expired: number; overflow: number } {
    return this.db.transaction(() => {
      const fresh = this.firstFreshStmt.get(minCreatedAt) as { id: number } | undefined;
      const expired = (fresh ? this.expireBeforeStmt.run(fresh.id) : this.clearStmt.run()).changes;
      const size = this.size();
      let overflow = 0;
      if (size > maxEntries) {
        overflow = this.overflowStmt.run(size - maxEntries).changes;
      }
      return { expired, overflow };
    })();
  }
}
