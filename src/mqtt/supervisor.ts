/**
 * Main-thread side of the MQTT actor. `createMqttActor({ mode: "worker" })` runs the actor in a
 * worker thread (workers/mqtt-worker.js) behind Comlink, restarts the worker with backoff when it
 * exits or crashes, and replays the latest init, settings, cameras and retained state into the new
 * one. Callers never see a rejected-promise storm: while the worker is being replaced, calls wait
 * for the new one (bounded) and otherwise answer "not connected" as a value.
 * `mode: "inline"` runs the same actor in this thread (benchmarks, tests, tiny installs).
 */
import { Worker, type ResourceLimits } from "node:worker_threads";
import * as Comlink from "comlink";
import nodeEndpoint from "comlink/dist/esm/node-adapter.mjs";
import type { Logger } from "pino";
import type { Camera } from "../domain/camera.js";
import { cameraStateTopics } from "../ha/topics.js";
import { MqttActor, WORKER_STATE_KEY, type MqttActorDeps } from "./actor.js";
import { Backoff } from "./backoff.js";
import {
  DEFAULT_WORKER_NICE,
  type ActionResult,
  type ActorInit,
  type ActorListener,
  type ActorStateChange,
  type ConnectionTestParams,
  type ConnectionTestResult,
  type DeliveryResult,
  type MqttActorApi,
  type MqttStatus,
  type MqttWorkerData,
  type OutboundMessage,
  type StateMessage,
  type WorkerHealth,
} from "./contract.js";
import type { MqttSettings } from "./settings.js";

export interface SupervisorOptions {
  mode: "worker" | "inline";
  /** Main-thread logger (the worker logs on its own, with component "mqtt-actor"). */
  log?: Pick<Logger, "info" | "warn" | "error">;
  /** Delay before respawning a dead worker: exponential with full jitter in [min, max]. */
  restart_min_ms?: number;
  restart_max_ms?: number;
  /** A worker that lived this long resets the restart backoff. */
  restart_stable_ms?: number;
  /** How long a call made while restarting waits for the new worker before answering "not connected". */
  call_timeout_ms?: number;
  /** Override of the compiled worker file (tests). */
  worker_url?: URL;
  /** pino level for the worker's own log lines (the worker cannot read the main thread's config). */
  worker_log_level?: string;
  /** Nice value of the worker thread (MQTT_WORKER_NICE); default DEFAULT_WORKER_NICE. */
  worker_nice?: number;
  /** Dependencies for the inline actor (logger...). */
  inline_deps?: MqttActorDeps;
  /**
   * V8 heap limits of the worker; default `workerResourceLimits(cameras)` at each spawn. `null`
   * leaves V8's defaults (young generation up to 2 x 16 MB, old-generation growth up to 4x).
   */
  worker_resource_limits?: ((cameras: number) => ResourceLimits) | null;
}

export interface SupervisedMqttActor extends MqttActorApi {
  /** Subscribes to state changes; returns the unsubscribe function. */
  onChange(listener: ActorListener): () => void;
  /** stop() and then release the worker for good. */
  close(): Promise<void>;
  /** Worker restarts so far (0 inline). */
  readonly restarts: number;
  /** Test hook: kills the worker as a crash would (worker mode only). */
  crashWorkerForTest(): Promise<void>;
}

const DEFAULT_WORKER_URL = new URL("../../workers/mqtt-worker.js", import.meta.url);

/**
 * Worker young generation: 12 MB = two 4 MB semi-spaces + 4 MB for new large objects. 3 MB (1 MB
 * semi-spaces) saved ~10 MB more but slowed a 10,000-camera republish by ~30% (scavenges).
 */
export const WORKER_YOUNG_GENERATION_MB = 12;
/** Old-generation ceiling of the worker: at least this, and WORKER_OLD_MB_PER_CAMERA per camera. */
export const WORKER_OLD_GENERATION_MIN_MB = 512;
/** ~10x what a camera costs the worker (its record, 3-4 retained state topics, reconcile transients). */
export const WORKER_OLD_MB_PER_CAMERA = 0.024;

/**
 * Heap limits for the MQTT worker, sized from the camera count at spawn (docs/performance.md, Memory).
 * - Young generation: V8 grows the semi-spaces up to 16 MB each under a high survival rate (a
 *   reconcile) and never shrinks them in a busy isolate: ~30 MB resident for good. Short-lived
 *   publish garbage dies almost as well in 4 MB semi-spaces.
 * - Old generation: V8 derives its growth factor from this ceiling (small for small ceilings,
 *   up to 4x for a multi-GB default), so a reconcile's garbage is collected early instead of piling
 *   up to 100+ MB. Measured with 10,000 cameras: 256 MB made major GCs a quarter of a republish
 *   (~25% slower than 512 MB); 512 MB costs ~8 MB of RSS over 256. The ceiling is far above what the
 *   worker needs; if it is ever hit the worker dies with ERR_WORKER_OUT_OF_MEMORY and the supervisor
 *   doubles it for the next spawn.
 */
export function workerResourceLimits(cameras: number): ResourceLimits {
  return {
    maxYoungGenerationSizeMb: WORKER_YOUNG_GENERATION_MB,
    maxOldGenerationSizeMb: Math.max(WORKER_OLD_GENERATION_MIN_MB, Math.ceil(cameras * WORKER_OLD_MB_PER_CAMERA)),
  };
}

export function createMqttActor(opts: SupervisorOptions): SupervisedMqttActor {
  return opts.mode === "inline" ? new InlineActor(opts) : new WorkerSupervisor(opts);
}

const noopLog: Pick<Logger, "info" | "warn" | "error"> = {
  info: () => undefined,
  warn: () => undefined,
  error: () => undefined,
} as unknown as Pick<Logger, "info" | "warn" | "error">;

/** Latest state to replay into a fresh worker. */
class Replay {
  init: ActorInit | null = null;
  readonly cameras = new Map<string, Camera>();
  readonly state = new Map<string, string>();

  setInit(init: ActorInit): void {
    this.init = { ...init, cameras: [], state: [] };
    this.cameras.clear();
    for (const c of init.cameras) this.cameras.set(c.id, c);
    this.state.clear();
    for (const m of init.state) this.remember(m.topic, m.payload);
  }
  settings(s: MqttSettings): void {
    if (this.init) this.init = { ...this.init, settings: s };
  }
  remember(topic: string, payload: string): void {
    if (payload === "") this.state.delete(topic);
    else this.state.set(topic, payload);
  }
  removeCamera(id: string): void {
    this.cameras.delete(id);
    if (this.init) for (const t of Object.values(cameraStateTopics(this.init.settings.topic_prefix, id))) this.state.delete(t);
  }
  build(): ActorInit | null {
    if (!this.init) return null;
    return {
      ...this.init,
      cameras: [...this.cameras.values()],
      state: [...this.state].map(([topic, payload]) => ({ topic, payload })),
    };
  }
}

class Listeners {
  private readonly set = new Set<ActorListener>();
  last: ActorStateChange | null = null;
  /** Date.now() when `last` arrived: `next_retry_in_ms` is recomputed from it. */
  lastAt = 0;
  add(l: ActorListener): () => void {
    this.set.add(l);
    return () => this.set.delete(l);
  }
  emit(change: ActorStateChange): void {
    this.last = change;
    this.lastAt = Date.now();
    for (const l of this.set) {
      try {
        const r = l(change) as unknown;
        if (r && typeof (r as Promise<void>).then === "function") (r as Promise<void>).then(undefined, () => undefined);
      } catch {
        /* a listener must not break the supervisor */
      }
    }
  }
}

class InlineActor implements SupervisedMqttActor {
  private readonly actor: MqttActor;
  private readonly listeners = new Listeners();
  readonly restarts = 0;

  constructor(opts: SupervisorOptions) {
    this.actor = new MqttActor(opts.inline_deps ?? {});
  }
  /** The in-process actor, for tests and benchmarks. */
  get inner(): MqttActor {
    return this.actor;
  }
  onChange(listener: ActorListener): () => void {
    return this.listeners.add(listener);
  }
  start(init: ActorInit, listener: ActorListener): Promise<void> {
    if (listener) this.listeners.add(listener);
    return this.actor.start(init, (c) => this.listeners.emit(c));
  }
  updateSettings(s: MqttSettings): Promise<void> {
    return this.actor.updateSettings(s);
  }
  upsertCamera(c: Camera): Promise<void> {
    return this.actor.upsertCamera(c);
  }
  removeCamera(id: string): Promise<void> {
    return this.actor.removeCamera(id);
  }
  publishState(m: StateMessage[]): Promise<void> {
    return this.actor.publishState(m);
  }
  deliver(m: OutboundMessage[]): Promise<DeliveryResult> {
    return this.actor.deliver(m);
  }
  publishDiscovery(): Promise<ActionResult<{ cameras_published: number }>> {
    return this.actor.publishDiscovery();
  }
  publishTestMessage(): Promise<ActionResult<{ topic: string }>> {
    return this.actor.publishTestMessage();
  }
  testConnection(p: ConnectionTestParams): Promise<ConnectionTestResult> {
    return this.actor.testConnection(p);
  }
  status(): Promise<MqttStatus> {
    return this.actor.status();
  }
  health(): Promise<WorkerHealth> {
    return this.actor.health();
  }
  stop(): Promise<void> {
    return this.actor.stop();
  }
  close(): Promise<void> {
    return this.actor.stop();
  }
  async crashWorkerForTest(): Promise<void> {
    throw new Error("inline mode has no worker");
  }
}

interface Live {
  worker: Worker;
  remote: Comlink.Remote<MqttActorApi>;
  /** Resolves (never rejects) when the worker has exited. */
  dead: Promise<void>;
  exited: boolean;
  startedAt: number;
}

const NOT_CONNECTED = "not connected";

class WorkerSupervisor implements SupervisedMqttActor {
  private readonly log: Pick<Logger, "info" | "warn" | "error">;
  private readonly url: URL;
  private readonly callTimeout: number;
  private readonly stableMs: number;
  private readonly backoff: Backoff;
  private readonly replay = new Replay();
  private readonly listeners = new Listeners();
  private live: Live | null = null;
  private ready: Promise<Live | null> = Promise.resolve(null);
  private restartTimer: NodeJS.Timeout | null = null;
  private stopped = false;
  private closed = false;
  private restartCount = 0;
  private readonly workerData: MqttWorkerData;
  private readonly resourceLimits: ((cameras: number) => ResourceLimits) | null;
  /** Doubles after each out-of-memory exit of the worker (its old-generation ceiling was too low). */
  private oldGenerationBoost = 1;

  constructor(opts: SupervisorOptions) {
    this.log = opts.log ?? noopLog;
    this.url = opts.worker_url ?? DEFAULT_WORKER_URL;
    this.workerData = { logLevel: opts.worker_log_level ?? "info", nice: opts.worker_nice ?? DEFAULT_WORKER_NICE };
    this.resourceLimits = opts.worker_resource_limits === undefined ? workerResourceLimits : opts.worker_resource_limits;
    this.callTimeout = opts.call_timeout_ms ?? 10_000;
    this.stableMs = opts.restart_stable_ms ?? 30_000;
    this.backoff = new Backoff({ min_ms: opts.restart_min_ms ?? 500, max_ms: opts.restart_max_ms ?? 30_000 });
  }

  get restarts(): number {
    return this.restartCount;
  }

  onChange(listener: ActorListener): () => void {
    return this.listeners.add(listener);
  }

  async start(init: ActorInit, listener: ActorListener): Promise<void> {
    if (listener) this.listeners.add(listener);
    this.replay.setInit(init);
    this.stopped = false;
    this.spawn();
    await this.ready;
  }

  async updateSettings(s: MqttSettings): Promise<void> {
    this.replay.settings(s);
    await this.call((r) => r.updateSettings(s), undefined);
  }

  async upsertCamera(c: Camera): Promise<void> {
    this.replay.cameras.set(c.id, c);
    await this.call((r) => r.upsertCamera(c), undefined);
  }

  async removeCamera(id: string): Promise<void> {
    this.replay.removeCamera(id);
    await this.call((r) => r.removeCamera(id), undefined);
  }

  async publishState(messages: StateMessage[]): Promise<void> {
    for (const m of messages) this.replay.remember(m.topic, m.payload);
    await this.call((r) => r.publishState(messages), undefined);
  }

  async deliver(messages: OutboundMessage[]): Promise<DeliveryResult> {
    for (const m of messages) if (m.remember) this.replay.remember(m.topic, m.payload);
    return this.call((r) => r.deliver(messages), { delivered: [], error: NOT_CONNECTED });
  }

  publishDiscovery(): Promise<ActionResult<{ cameras_published: number }>> {
    return this.call<ActionResult<{ cameras_published: number }>>((r) => r.publishDiscovery(), { ok: false, reason: "not_connected", message: "MQTT actor is restarting" });
  }

  publishTestMessage(): Promise<ActionResult<{ topic: string }>> {
    return this.call<ActionResult<{ topic: string }>>((r) => r.publishTestMessage(), { ok: false, reason: "not_connected", message: "MQTT actor is restarting" });
  }

  testConnection(p: ConnectionTestParams): Promise<ConnectionTestResult> {
    return this.call((r) => r.testConnection(p), { success: false, message: "MQTT actor is restarting, try again", protocol: null });
  }

  /**
   * Answered from the last state report, never by a round trip to the worker: a worker busy with a
   * 10,000-camera reconcile must not hold up GET /health. The worker reports every state change at
   * once, counters at least every 250 ms while they change, a heartbeat every 5 s, and flushes a
   * pending report before answering any call (same port, so in order).
   */
  async status(): Promise<MqttStatus> {
    const last = this.listeners.last;
    if (this.closed || !last) return this.call((r) => r.status(), this.fallbackStatus(), 0);
    const s = last.status;
    if (s.next_retry_in_ms === null) return { ...s };
    return { ...s, next_retry_in_ms: Math.max(0, s.next_retry_in_ms - (Date.now() - this.listeners.lastAt)) };
  }

  async health(): Promise<WorkerHealth> {
    const last = this.listeners.last;
    if (this.closed || !last) return this.call((r) => r.health(), this.fallbackHealth(), 0);
    return { ...last.health };
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.restartTimer) clearTimeout(this.restartTimer);
    this.restartTimer = null;
    const live = this.live;
    if (live && !live.exited) {
      await Promise.race([live.remote.stop().catch(() => undefined), live.dead, delay(5000)]);
    }
  }

  async close(): Promise<void> {
    if (this.closed) return;
    await this.stop();
    this.closed = true;
    const live = this.live;
    this.live = null;
    if (live) await this.dispose(live);
  }

  async crashWorkerForTest(): Promise<void> {
    const live = this.live;
    if (live) await live.worker.terminate();
  }

  // ------------------------------------------------------------------ internals

  /**
   * Runs a call on the current worker. While restarting, waits up to `waitMs` for the new one.
   * If the worker dies mid-call (Comlink would wait forever) or none is ready, answers `fallback`.
   */
  private async call<T>(fn: (r: Comlink.Remote<MqttActorApi>) => Promise<T>, fallback: T, waitMs = this.callTimeout): Promise<T> {
    if (this.closed) return fallback;
    let live = this.live && !this.live.exited ? this.live : null;
    if (!live || !this.isReady(live)) {
      live = await Promise.race([this.ready, delay(waitMs).then(() => null)]);
    }
    if (!live || live.exited) return fallback;
    try {
      return await Promise.race([fn(live.remote), live.dead.then(() => fallback)]);
    } catch (e) {
      this.log.warn({ err: e instanceof Error ? e.message : String(e) }, "mqtt actor call failed");
      return fallback;
    }
  }

  private readyLive: Live | null = null;
  private isReady(l: Live): boolean {
    return this.readyLive === l;
  }

  private spawn(): void {
    if (this.stopped || this.closed) return;
    const init = this.replay.build();
    if (!init) return;
    const worker = new Worker(this.url, { workerData: this.workerData, ...this.limitsFor(init.cameras.length) });
    const remote = Comlink.wrap<MqttActorApi>(nodeEndpoint(worker));
    let markDead!: () => void;
    const dead = new Promise<void>((r) => (markDead = r));
    const live: Live = { worker, remote, dead, exited: false, startedAt: Date.now() };
    this.live = live;
    this.readyLive = null;
    worker.on("error", (err: Error & { code?: string }) => {
      if (err.code === "ERR_WORKER_OUT_OF_MEMORY" && this.resourceLimits) {
        this.oldGenerationBoost *= 2;
        this.log.error({ err: err.message, next_max_old_generation_mb: this.limitsFor(this.replay.cameras.size).resourceLimits?.maxOldGenerationSizeMb }, "mqtt worker ran out of memory; raising its heap limit");
      } else this.log.error({ err: err.message }, "mqtt worker crashed");
    });
    worker.on("exit", (code) => {
      live.exited = true;
      markDead();
      this.onExit(live, code);
    });
    // State reports arrive on the worker's own port (see workers/mqtt-worker.ts), beside Comlink's
    // messages, which Comlink recognises by their id and this handler by WORKER_STATE_KEY.
    worker.on("message", (msg: unknown) => {
      if (this.live !== live || msg === null || typeof msg !== "object" || !(WORKER_STATE_KEY in msg)) return;
      this.listeners.emit((msg as Record<string, ActorStateChange>)[WORKER_STATE_KEY]!);
    });
    this.ready = this.boot(live, init);
  }

  private limitsFor(cameras: number): { resourceLimits?: ResourceLimits } {
    if (!this.resourceLimits) return {};
    const limits = { ...this.resourceLimits(cameras) };
    if (limits.maxOldGenerationSizeMb !== undefined) limits.maxOldGenerationSizeMb *= this.oldGenerationBoost;
    return { resourceLimits: limits };
  }

  /**
   * Starts the actor in a fresh worker. A method of its own, not a closure in spawn(): V8 keeps one
   * context for all closures of a scope, so the worker's long-lived event handlers would otherwise
   * retain `init` (a full copy of every camera and retained state message) for the worker's life.
   */
  private async boot(live: Live, init: ActorInit): Promise<Live | null> {
    try {
      // The worker entry reports on its port; no listener proxy crosses.
      await Promise.race([live.remote.start(init, undefined as unknown as ActorListener), live.dead]);
    } catch (e) {
      this.log.error({ err: e instanceof Error ? e.message : String(e) }, "mqtt worker failed to start");
      return null;
    }
    if (live.exited) return null;
    this.readyLive = live;
    return live;
  }

  private onExit(live: Live, code: number): void {
    if (this.live !== live) return;
    if (this.stopped || this.closed) return;
    this.readyLive = null;
    if (Date.now() - live.startedAt >= this.stableMs) this.backoff.reset();
    const wait = this.backoff.next();
    this.restartCount += 1;
    this.log.warn({ code, restart_in_ms: wait, restarts: this.restartCount }, "mqtt worker exited, restarting");
    this.emitRestarting(wait);
    let markReady!: (l: Live | null) => void;
    this.ready = new Promise<Live | null>((r) => (markReady = r));
    this.restartTimer = setTimeout(() => {
      this.restartTimer = null;
      this.spawn();
      // this.spawn() replaced this.ready; hand its outcome to callers already waiting.
      void this.ready.then(markReady);
    }, wait);
    void this.dispose(live);
  }

  private emitRestarting(retryInMs: number): void {
    this.listeners.emit({ status: { ...this.fallbackStatus(), next_retry_in_ms: retryInMs }, health: this.fallbackHealth() });
  }

  private fallbackStatus(): MqttStatus {
    const last = this.listeners.last?.status;
    const restarting = !this.stopped && !this.closed;
    return {
      connected: false,
      state: restarting ? "restarting" : "stopped",
      protocol: last?.protocol ?? null,
      broker: last?.broker ?? null,
      last_connected_at: last?.last_connected_at ?? null,
      messages_published: last?.messages_published ?? 0,
      last_error: last?.last_error ?? null,
      reconnect_attempt: last?.reconnect_attempt ?? 0,
      next_retry_in_ms: null,
    };
  }

  private fallbackHealth(): WorkerHealth {
    const last = this.listeners.last?.health;
    return {
      state: !this.stopped && !this.closed ? "restarting" : "stopped",
      generation: last?.generation ?? 0,
      connected_since: null,
      reconnects: last?.reconnects ?? 0,
      publishes: last?.publishes ?? 0,
      failures: last?.failures ?? 0,
      queue_depth: 0,
      in_flight: 0,
      reconcile_running: false,
      reconciles_completed: last?.reconciles_completed ?? 0,
      reconciles_abandoned: last?.reconciles_abandoned ?? 0,
      last_reconcile: last?.last_reconcile ?? null,
      event_loop_delay_p99_ms: 0,
      heap_used_bytes: 0,
    };
  }

  private async dispose(live: Live): Promise<void> {
    try {
      live.remote[Comlink.releaseProxy]();
    } catch {
      /* the port may already be closed */
    }
    if (!live.exited) await live.worker.terminate().catch(() => undefined);
  }
}

function delay(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms).unref?.());
}
