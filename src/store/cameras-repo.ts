import { randomUUID } from "node:crypto";
import type { Camera, CameraType } from "../domain/camera.js";
import type { Db } from "./database.js";

interface CameraRow {
  id: string;
  name: string;
  type: CameraType;
  source_type: CameraType;
  is_doorbell: 0 | 1;
  is_enabled: 0 | 1;
  created_at: string;
  updated_at: string;
}

export interface NewCamera {
  name: string;
  type: CameraType;
  source_type?: CameraType | undefined;
  is_doorbell?: boolean | undefined;
  is_enabled?: boolean | undefined;
}

export type CameraPatch = Partial<Omit<NewCamera, "type">> & { type?: CameraType | undefined };

const toCamera = (r: CameraRow): Camera => ({ ...r, is_doorbell: r.is_doorbell === 1, is_enabled: r.is_enabled === 1 });

/** Cameras read per event are cached here; every write goes through this repo and drops the entry. */
const CACHE_MAX = 20_000;

export class CamerasRepo {
  private readonly listStmt;
  private readonly getStmt;
  private readonly insertStmt;
  private readonly updateStmt;
  private readonly deleteStmt;
  /** id -> camera as last read (committed); filled lazily by get(), dropped on update/delete. */
  private readonly cache = new Map<string, Camera>();

  constructor(db: Db) {
    this.listStmt = db.prepare("SELECT * FROM cameras ORDER BY created_at, id");
    this.getStmt = db.prepare("SELECT * FROM cameras WHERE id = ?");
    this.insertStmt = db.prepare(
      "INSERT INTO cameras (id, name, type, source_type, is_doorbell, is_enabled, created_at, updated_at) VALUES (@id, @name, @type, @source_type, @is_doorbell, @is_enabled, @created_at, @updated_at)",
    );
    this.updateStmt = db.prepare("UPDATE cameras SET name=@name, type=@type, source_type=@source_type, is_doorbell=@is_doorbell, is_enabled=@is_enabled, updated_at=@updated_at WHERE id=@id");
    this.deleteStmt = db.prepare("DELETE FROM cameras WHERE id = ?");
  }

  list(): Camera[] {
    return (this.listStmt.all() as CameraRow[]).map(toCamera);
  }

  /** A fresh copy each call (callers may spread or change it without touching the cache). */
  get(id: string): Camera | undefined {
    const hit = this.cache.get(id);
    if (hit) return { ...hit };
    const row = this.getStmt.get(id) as CameraRow | undefined;
    if (!row) return undefined;
    const camera = toCamera(row);
    if (this.cache.size >= CACHE_MAX) this.cache.clear();
    this.cache.set(id, camera);
    return { ...camera };
  }

  create(input: NewCamera): Camera {
    const now = new Date().toISOString();
    const camera: Camera = {
      id: randomUUID(),
      name: input.name,
      type: input.type,
      source_type: input.source_type ?? input.type,
      is_doorbell: input.is_doorbell ?? false,
      is_enabled: input.is_enabled ?? true,
      created_at: now,
      updated_at: now,
    };
    this.insertStmt.run({ ...camera, is_doorbell: camera.is_doorbell ? 1 : 0, is_enabled: camera.is_enabled ? 1 : 0 });
    return camera;
  }

  update(id: string, patch: CameraPatch): Camera | undefined {
    this.cache.delete(id);
    const current = this.get(id);
    if (!current) return undefined;
    const next: Camera = {
      ...current,
      ...Object.fromEntries(Object.entries(patch).filter(([, v]) => v !== undefined)),
      updated_at: new Date().toISOString(),
    };
    this.cache.delete(id);
    this.updateStmt.run({ ...next, is_doorbell: next.is_doorbell ? 1 : 0, is_enabled: next.is_enabled ? 1 : 0 });
    return next;
  }

  delete(id: string): boolean {
    this.cache.delete(id);
    return this.deleteStmt.run(id).changes > 0;
  }
}
