/**
 * Camera lifecycle. The store is the source of truth; every change is passed on to the MQTT actor so
 * Home Assistant sees it at once. MQTT trouble never fails the HTTP request: the actor reconciles
 * everything on its next connect anyway.
 */
import type { Camera } from "../domain/camera.js";
import { NotFoundError } from "../errors.js";
import type { Log } from "../log.js";
import type { MqttActorApi } from "../mqtt/contract.js";
import type { CameraPatch, NewCamera } from "../store/cameras-repo.js";
import type { Store } from "../store/store.js";

/** Told after each committed change (camera state topics follow the camera). */
export interface CameraHooks {
  changed?(camera: Camera): void;
  deleted?(cameraId: string): void;
}

export class CameraService {
  constructor(
    private readonly store: Store,
    private readonly mqtt: MqttActorApi,
    private readonly log: Log,
    private readonly hooks: CameraHooks = {},
  ) {}

  list(): Camera[] {
    return this.store.cameras.list();
  }

  get(id: string): Camera {
    const camera = this.store.cameras.get(id);
    if (!camera) throw new NotFoundError(`No camera with id ${id}.`);
    return camera;
  }

  create(input: NewCamera): Camera {
    const camera = this.store.cameras.create(input);
    this.tell("upsertCamera", () => this.mqtt.upsertCamera(camera), camera.id);
    this.hooks.changed?.(camera);
    return camera;
  }

  update(id: string, patch: CameraPatch): Camera {
    const camera = this.store.cameras.update(id, patch);
    if (!camera) throw new NotFoundError(`No camera with id ${id}.`);
    this.tell("upsertCamera", () => this.mqtt.upsertCamera(camera), camera.id);
    this.hooks.changed?.(camera);
    return camera;
  }

  delete(id: string): void {
    if (!this.store.cameras.delete(id)) throw new NotFoundError(`No camera with id ${id}.`);
    this.hooks.deleted?.(id);
    this.tell("removeCamera", () => this.mqtt.removeCamera(id), id);
  }

  private tell(action: string, send: () => Promise<unknown>, cameraId: string): void {
    send().catch((err: unknown) => this.log.warn({ err: String(err), action, camera_id: cameraId }, "MQTT actor did not take the camera change; the next reconcile will"));
  }
}
