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

export class CamerasRepo {
  constructor(private readonly db: Db) {}

  list(): Camera[] {
    return (this.db.prepare("SELECT * FROM cameras ORDER BY created_at, id").all() as CameraRow[]).map(toCamera);
  }

  get(id: string): Camera | undefined {
    const row = this.db.prepare("SELECT * FROM cameras WHERE id = ?").get(id) as CameraRow | undefined;
    return row ? toCamera(row) : undefined;
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
    this.db
      .prepare("INSERT INTO cameras (id, name, type, source_type, is_doorbell, is_enabled, created_at, updated_at) VALUES (@id, @name, @type, @source_type, @is_doorbell, @is_enabled, @created_at, @updated_at)")
      .run({ ...camera, is_doorbell: camera.is_doorbell ? 1 : 0, is_enabled: camera.is_enabled ? 1 : 0 });
    return camera;
  }

  update(id: string, patch: CameraPatch): Camera | undefined {
    const current = this.get(id);
    if (!current) return undefined;
    const next: Camera = {
      ...current,
      ...Object.fromEntries(Object.entries(patch).filter(([, v]) => v !== undefined)),
      updated_at: new Date().toISOString(),
    };
    this.db
      .prepare("UPDATE cameras SET name=@name, type=@type, source_type=@source_type, is_doorbell=@is_doorbell, is_enabled=@is_enabled, updated_at=@updated_at WHERE id=@id")
      .run({ ...next, is_doorbell: next.is_doorbell ? 1 : 0, is_enabled: next.is_enabled ? 1 : 0 });
    return next;
  }

  delete(id: string): boolean {
    return this.db.prepare("DELETE FROM cameras WHERE id = ?").run(id).changes > 0;
  }
}
