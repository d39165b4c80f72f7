/**
 * Schema migrations, versioned in code and applied in order inside one transaction each.
 * Never edit a released migration: add a new one.
 */
export interface Migration {
  version: number;
  name: string;
  sql: string;
}

export const MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    name: "foundation",
    sql: `
      CREATE TABLE meta (
        key   TEXT PRIMARY KEY,
        value TEXT NOT NULL
      ) STRICT;
      CREATE TABLE settings (
        key        TEXT PRIMARY KEY,
        value      TEXT,              -- plaintext JSON for ordinary settings
        ciphertext TEXT,              -- AES-256-GCM envelope for secrets
        key_id     TEXT,              -- which encryption key sealed it (for rotation)
        updated_at TEXT NOT NULL,
        CHECK ((value IS NULL) <> (ciphertext IS NULL))
      ) STRICT;
      CREATE TABLE api_keys (
        id           TEXT PRIMARY KEY,
        name         TEXT NOT NULL,
        digest       TEXT NOT NULL UNIQUE,  -- SHA-256 of the token; the token itself is never stored
        scopes       TEXT NOT NULL,
        created_at   TEXT NOT NULL,
        last_used_at TEXT,
        revoked_at   TEXT
      ) STRICT;
      CREATE TABLE cameras (
        id          TEXT PRIMARY KEY,
        name        TEXT NOT NULL,
        type        TEXT NOT NULL CHECK (type IN ('rtsp','usb','protect')),
        source_type TEXT NOT NULL CHECK (source_type IN ('rtsp','usb','protect')),
        is_doorbell INTEGER NOT NULL DEFAULT 0 CHECK (is_doorbell IN (0,1)),
        is_enabled  INTEGER NOT NULL DEFAULT 1 CHECK (is_enabled IN (0,1)),
        created_at  TEXT NOT NULL,
        updated_at  TEXT NOT NULL
      ) STRICT;
    `,
  },
  {
    version: 2,
    name: "events-outbox",
    sql: `
      CREATE TABLE events (
        id                       TEXT PRIMARY KEY,
        camera_id                TEXT NOT NULL REFERENCES cameras(id) ON DELETE CASCADE,
        ts                       INTEGER NOT NULL,  -- epoch ms of timestamp: filters, counts, order
        timestamp                TEXT NOT NULL,     -- ISO 8601 with offset, as published
        description              TEXT NOT NULL,
        objects_detected         TEXT NOT NULL,     -- JSON array of strings
        confidence               INTEGER NOT NULL CHECK (confidence BETWEEN 0 AND 100),
        created_at               TEXT NOT NULL,
        ai_confidence            REAL,
        smart_detection_type     TEXT,
        is_doorbell_ring         INTEGER CHECK (is_doorbell_ring IN (0,1)),
        provider_used            TEXT,
        analysis_mode            TEXT,
        low_confidence           INTEGER CHECK (low_confidence IN (0,1)),
        correlation_group_id     TEXT,
        delivery_carrier         TEXT,
        delivery_carrier_display TEXT
      ) STRICT;
      CREATE INDEX events_camera_ts ON events (camera_id, ts);
      CREATE INDEX events_ts ON events (ts, id);
      CREATE TABLE outbox (
        id         INTEGER PRIMARY KEY AUTOINCREMENT,  -- delivery order
        camera_id  TEXT NOT NULL REFERENCES cameras(id) ON DELETE CASCADE,
        kind       TEXT NOT NULL CHECK (kind IN ('event','last_event','counts','activity')),
        event_id   TEXT,
        payload    TEXT NOT NULL,
        created_at INTEGER NOT NULL                    -- epoch ms
      ) STRICT;
      CREATE INDEX outbox_camera ON outbox (camera_id);
      CREATE INDEX outbox_created ON outbox (created_at);
      CREATE TABLE camera_status (
        camera_id  TEXT PRIMARY KEY REFERENCES cameras(id) ON DELETE CASCADE,
        state      TEXT NOT NULL CHECK (state IN ('connected','starting','disconnected','error','stopped')),
        updated_at TEXT NOT NULL
      ) STRICT;
    `,
  },
  {
    version: 3,
    name: "outbox-event-bundle",
    // One outbox row per event ('event_bundle': event, last_event, counts and activity ON in one
    // JSON payload) instead of four. Rebuilt because the kind CHECK changes; rows of the v2 kinds
    // are kept as they are (the pump still delivers them) and keep their ids (delivery order), and
    // the AUTOINCREMENT high-water mark is carried over. outbox_created is gone: expiry walks the
    // rows in id order (created_at grows with id). outbox_camera stays for ON DELETE CASCADE and
    // the per-camera statements.
    sql: `
      CREATE TABLE outbox_v3 (
        id         INTEGER PRIMARY KEY AUTOINCREMENT,  -- delivery order
        camera_id  TEXT NOT NULL REFERENCES cameras(id) ON DELETE CASCADE,
        kind       TEXT NOT NULL CHECK (kind IN ('event','last_event','counts','activity','event_bundle')),
        event_id   TEXT,
        payload    TEXT NOT NULL,
        created_at INTEGER NOT NULL                    -- epoch ms
      ) STRICT;
      INSERT INTO outbox_v3 (id, camera_id, kind, event_id, payload, created_at)
        SELECT id, camera_id, kind, event_id, payload, created_at FROM outbox ORDER BY id;
      DELETE FROM sqlite_sequence WHERE name = 'outbox_v3';
      INSERT INTO sqlite_sequence (name, seq)
        SELECT 'outbox_v3', MAX(seq) FROM (
          SELECT seq FROM sqlite_sequence WHERE name = 'outbox'
          UNION ALL SELECT COALESCE(MAX(id), 0) FROM outbox_v3
        );
      DROP TABLE outbox;
      ALTER TABLE outbox_v3 RENAME TO outbox;
      CREATE INDEX outbox_camera ON outbox (camera_id);
    `,
  },
];
