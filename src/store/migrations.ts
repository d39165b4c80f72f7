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
];
