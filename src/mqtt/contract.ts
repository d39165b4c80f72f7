/**
 * The only surface shared by the main thread and the MQTT actor (worker thread or, for benchmarks,
 * inline). Everything crossing it is structured-clone data; failures that callers must tell apart
 * are returned as values because Comlink flattens thrown errors to plain messages.
 */
import type { Camera } from "../domain/camera.js";
import type { MqttSettings } from "./settings.js";

export type MqttConnectionState =
  | "disabled" // integration off or no broker configured
  | "connecting"
  | "connected"
  | "reconnecting"
  | "not_authorized"
  | "stopped"
  | "restarting"; // set by the main-thread supervisor while the worker is replaced

export type MqttProtocol = "5.0" | "3.1.1";

export interface MqttStatus {
  connected: boolean;
  state: MqttConnectionState;
  protocol: MqttProtocol | null;
  /** `mqtt[s]://host:port`, never credentials. */
  broker: string | null;
  last_connected_at: string | null;
  messages_published: number;
  last_error: string | null;
  reconnect_attempt: number;
  /** Milliseconds until the next attempt when waiting in backoff, else null. */
  next_retry_in_ms: number | null;
}

export interface ReconcileReport {
  reason: "connect" | "ha_birth" | "manual" | "settings";
  generation: number;
  duration_ms: number;
  configs_sent: number;
  configs_skipped: number;
  configs_cleared: number;
  states_sent: number;
  finished_at: string;
}

export interface WorkerHealth {
  state: MqttConnectionState;
  generation: number;
  connected_since: string | null;
  reconnects: number;
  publishes: number;
  failures: number;
  queue_depth: number;
  in_flight: number;
  reconcile_running: boolean;
  reconciles_completed: number;
  reconciles_abandoned: number;
  last_reconcile: ReconcileReport | null;
  event_loop_delay_p99_ms: number;
  heap_used_bytes: number;
}

/** Given to workers/mqtt-worker.ts as `workerData` when the supervisor spawns it. */
export interface MqttWorkerData {
  logLevel?: string;
  /**
   * Nice value (0-19) of the worker thread alone: a republish yields the cores to the HTTP thread.
   * 0 leaves it at the process's priority.
   */
  nice?: number;
}

/** Default nice of the MQTT worker thread (MQTT_WORKER_NICE). */
export const DEFAULT_WORKER_NICE = 10;

/** Tuning knobs; defaults live in the actor, tests shorten them. */
export interface ActorOptions {
  reconnect_min_ms: number;
  reconnect_max_ms: number;
  connect_timeout_ms: number;
  /** How long to listen for our own retained configs after subscribing. */
  retained_collect_ms: number;
  /** Rendering runs in a piscina pool above this many cameras, inline below. */
  render_pool_threshold: number;
  render_pool_threads: number;
}

export interface ActorInit {
  settings: MqttSettings;
  cameras: Camera[];
  /** Retained state messages (status, last_event, counts, activity) to keep on the broker. */
  state: StateMessage[];
  app_version: string;
  /** Stable per installation; the client id is derived from it so two instances never collide. */
  instance_id: string;
  options?: Partial<ActorOptions>;
}

/** A retained state message the actor remembers and republishes on every reconcile. */
export interface StateMessage {
  topic: string;
  payload: string;
}

/** One outbox entry: published with QoS 1; reported delivered only after PUBACK. */
export interface OutboundMessage {
  id: number;
  topic: string;
  payload: string;
  qos: 0 | 1 | 2;
  retain: boolean;
  /** MQTT 5 message expiry; never set on retained state. */
  expiry_seconds: number | null;
  /** When true the actor also remembers it as retained state (republished on reconcile). */
  remember: boolean;
}

export interface DeliveryResult {
  /** Ids acknowledged by the broker, in order; delivery stops at the first failure. */
  delivered: number[];
  error: string | null;
}

export type ActionResult<T> = ({ ok: true } & T) | { ok: false; reason: "not_connected" | "discovery_disabled" | "disabled"; message: string };

export interface ConnectionTestParams {
  broker_host: string;
  broker_port: number;
  username: string | null;
  password: string | null;
  use_tls: boolean;
  timeout_ms?: number;
}

export interface ConnectionTestResult {
  success: boolean;
  message: string;
  protocol: MqttProtocol | null;
}

export interface ActorStateChange {
  status: MqttStatus;
  health: WorkerHealth;
}

export type ActorListener = (change: ActorStateChange) => void;

export interface MqttActorApi {
  /** First call after spawn. Connects when settings allow. */
  start(init: ActorInit, listener: ActorListener): Promise<void>;
  /** Applies new settings live: disconnects and connects again when connection fields changed. */
  updateSettings(settings: MqttSettings): Promise<void>;
  /** Create, update, enable or disable: publishes or clears that camera's configs at once. */
  upsertCamera(camera: Camera): Promise<void>;
  /** Clears the camera's configs and retained state topics. */
  removeCamera(cameraId: string): Promise<void>;
  publishState(messages: StateMessage[]): Promise<void>;
  deliver(messages: OutboundMessage[]): Promise<DeliveryResult>;
  publishDiscovery(): Promise<ActionResult<{ cameras_published: number }>>;
  publishTestMessage(): Promise<ActionResult<{ topic: string }>>;
  testConnection(params: ConnectionTestParams): Promise<ConnectionTestResult>;
  status(): Promise<MqttStatus>;
  health(): Promise<WorkerHealth>;
  /** Publishes the will message (clean shutdown), disconnects, releases the render pool. */
  stop(): Promise<void>;
}
