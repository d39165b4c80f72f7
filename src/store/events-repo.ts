/**
 * Camera events. `ts` (epoch ms) drives filters, counts and order; `timestamp` keeps the ISO 8601
 * text (with offset) exactly as it is published. Listing is newest first, ties broken by id, with
 * a keyset cursor so pages stay stable while new events arrive.
 */
import type { CameraEvent } from "../domain/event.js";
import type { Db } from "./database.js";

interface EventRow {
  id: string;
  camera_id: string;
  ts: number;
  timestamp: string;
  description: string;
  objects_detected: string;
  confidence: number;
  created_at: string;
  ai_confidence: number | null;
  smart_detection_type: string | null;
  is_doorbell_ring: 0 | 1 | null;
  provider_used: string | null;
  analysis_mode: string | null;
  low_confidence: 0 | 1 | null;
  correlation_group_id: string | null;
  delivery_carrier: string | null;
  delivery_carrier_display: string | null;
}

const bool = (v: 0 | 1 | null): boolean | null => (v === null ? null : v === 1);
const int = (v: boolean | null | undefined): 0 | 1 | null => (v === null || v === undefined ? null : v ? 1 : 0);

function toEvent(r: EventRow): CameraEvent {
  return {
    id: r.id,
    camera_id: r.camera_id,
    description: r.description,
    objects_detected: JSON.parse(r.objects_detected) as string[],
    confidence: r.confidence,
    timestamp: r.timestamp,
    created_at: r.created_at,
    ai_confidence: r.ai_confidence,
    smart_detection_type: r.smart_detection_type,
    is_doorbell_ring: bool(r.is_doorbell_ring),
    provider_used: r.provider_used,
    analysis_mode: r.analysis_mode,
    low_confidence: bool(r.low_confidence),
    correlation_group_id: r.correlation_group_id,
    delivery_carrier: r.delivery_carrier,
    delivery_carrier_display: r.delivery_carrier_display,
  };
}

export interface EventQuery {
  camera_id?: string | undefined;
  /** Inclusive, epoch ms. */
  since?: number | undefined;
  /** Exclusive, epoch ms. */
  until?: number | undefined;
  limit: number;
  /** Position after which to continue (from the previous page's last row). */
  after?: { ts: number; id: string } | undefined;
}

export class EventsRepo {
  private readonly insertStmt;
  private readonly getStmt;
  private readonly countsStmt;
  private readonly lastStmt;
  private readonly countsAllStmt;
  private readonly countsSomeStmt;
  private readonly latestAllStmt;
  private readonly purgeStmt;
  private readonly countAllStmt;
  /** list() has at most 16 WHERE shapes: one statement per shape, prepared on first use. */
  private readonly listStmts = new Map<string, ReturnType<Db["prepare"]>>();

  constructor(private readonly db: Db) {
    this.insertStmt = db.prepare(
      `INSERT INTO events (id, camera_id, ts, timestamp, description, objects_detected, confidence, created_at, ai_confidence,
         smart_detection_type, is_doorbell_ring, provider_used, analysis_mode, low_confidence, correlation_group_id, delivery_carrier, delivery_carrier_display)
       VALUES (@id, @camera_id, @ts, @timestamp, @description, @objects_detected, @confidence, @created_at, @ai_confidence,
         @smart_detection_type, @is_doorbell_ring, @provider_used, @analysis_mode, @low_confidence, @correlation_group_id, @delivery_carrier, @delivery_carrier_display)`,
    );
    this.getStmt = db.prepare("SELECT * FROM events WHERE id = ?");
    // Both windows in one range scan of the (camera_id, ts) index.
    this.countsStmt = db.prepare(
      "SELECT COUNT(*) AS week, COALESCE(SUM(ts >= @today), 0) AS today FROM events WHERE camera_id = @camera_id AND ts >= @week",
    );
    this.lastStmt = db.prepare("SELECT * FROM events WHERE camera_id = ? ORDER BY ts DESC, id DESC LIMIT 1");
    // Every camera's counts in one grouped statement (cameras without events in the week are absent).
    this.countsAllStmt = db.prepare("SELECT camera_id, COALESCE(SUM(ts >= @today), 0) AS today, COUNT(*) AS week FROM events WHERE ts >= @week GROUP BY camera_id");
    // The same for a chunk of cameras (a JSON array of ids): one (camera_id, ts) range scan each.
    this.countsSomeStmt = db.prepare(
      "SELECT camera_id, COALESCE(SUM(ts >= @today), 0) AS today, COUNT(*) AS week FROM events WHERE camera_id IN (SELECT value FROM json_each(@ids)) AND ts >= @week GROUP BY camera_id",
    );
    // Newest event of each camera: one index probe per camera inside a single statement.
    this.latestAllStmt = db.prepare(
      "SELECT e.* FROM cameras c JOIN events e ON e.id = (SELECT id FROM events WHERE camera_id = c.id ORDER BY ts DESC, id DESC LIMIT 1)",
    );
    this.purgeStmt = db.prepare("DELETE FROM events WHERE id IN (SELECT id FROM events WHERE ts < ? ORDER BY ts LIMIT ?)");
    this.countAllStmt = db.prepare("SELECT COUNT(*) AS n FROM events");
  }

  insert(event: CameraEvent, ts: number): void {
    this.insertStmt.run({
      id: event.id,
      camera_id: event.camera_id,
      ts,
      timestamp: event.timestamp,
      description: event.description,
      objects_detected: JSON.stringify(event.objects_detected),
      confidence: event.confidence,
      created_at: event.created_at,
      ai_confidence: event.ai_confidence ?? null,
      smart_detection_type: event.smart_detection_type ?? null,
      is_doorbell_ring: int(event.is_doorbell_ring),
      provider_used: event.provider_used ?? null,
      analysis_mode: event.analysis_mode ?? null,
      low_confidence: int(event.low_confidence),
      correlation_group_id: event.correlation_group_id ?? null,
      delivery_carrier: event.delivery_carrier ?? null,
      delivery_carrier_display: event.delivery_carrier_display ?? null,
    });
  }

  get(id: string): CameraEvent | undefined {
    const row = this.getStmt.get(id) as EventRow | undefined;
    return row ? toEvent(row) : undefined;
  }

  /** Newest first; returns the rows and the position of the last one (for the next cursor). */
  list(q: EventQuery): { events: CameraEvent[]; last: { ts: number; id: string } | null } {
    const where: string[] = [];
    const args: Record<string, unknown> = { limit: q.limit };
    if (q.camera_id !== undefined) {
      where.push("camera_id = @camera_id");
      args.camera_id = q.camera_id;
    }
    if (q.since !== undefined) {
      where.push("ts >= @since");
      args.since = q.since;
    }
    if (q.until !== undefined) {
      where.push("ts < @until");
      args.until = q.until;
    }
    if (q.after) {
      where.push("(ts < @after_ts OR (ts = @after_ts AND id < @after_id))");
      args.after_ts = q.after.ts;
      args.after_id = q.after.id;
    }
    const sql = `SELECT * FROM events ${where.length ? `WHERE ${where.join(" AND ")}` : ""} ORDER BY ts DESC, id DESC LIMIT @limit`;
    let stmt = this.listStmts.get(sql);
    if (!stmt) {
      stmt = this.db.prepare(sql);
      this.listStmts.set(sql, stmt);
    }
    const rows = stmt.all(args) as EventRow[];
    const tail = rows[rows.length - 1];
    return { events: rows.map(toEvent), last: tail ? { ts: tail.ts, id: tail.id } : null };
  }

  /** Events of one camera at or after `week` (epoch ms), and how many of those are at or after `today`. */
  counts(cameraId: string, today: number, week: number): { today: number; week: number } {
    const r = this.countsStmt.get({ camera_id: cameraId, today, week }) as { week: number; today: number };
    return { today: r.today, week: r.week };
  }

  /** Counts of every camera with events at or after `week`, keyed by camera id (absent = 0, 0). */
  countsAll(today: number, week: number, cameraIds?: readonly string[]): Map<string, { today: number; week: number }> {
    const rows = (cameraIds ? this.countsSomeStmt.all({ today, week, ids: JSON.stringify(cameraIds) }) : this.countsAllStmt.all({ today, week })) as Array<{
      camera_id: string;
      today: number;
      week: number;
    }>;
    const out = new Map<string, { today: number; week: number }>();
    for (const r of rows) out.set(r.camera_id, { today: r.today, week: r.week });
    return out;
  }

  /** The newest event of every camera that has one, keyed by camera id. */
  latestAll(): Map<string, { event: CameraEvent; ts: number }> {
    const out = new Map<string, { event: CameraEvent; ts: number }>();
    for (const row of this.latestAllStmt.iterate() as IterableIterator<EventRow>) out.set(row.camera_id, { event: toEvent(row), ts: row.ts });
    return out;
  }

  latest(cameraId: string): { event: CameraEvent; ts: number } | undefined {
    const row = this.lastStmt.get(cameraId) as EventRow | undefined;
    return row ? { event: toEvent(row), ts: row.ts } : undefined;
  }

  /** Deletes up to `batch` events older than `before` (epoch ms); returns how many went. */
  purgeBatch(before: number, batch: number): number {
    return this.purgeStmt.run(before, batch).changes;
  }

  count(): number {
    return (this.countAllStmt.get() as { n: number }).n;
  }
}
