/**
 * The MQTT actor: owns the one MQTT.js client, the desired retained state and the discovery loop.
 * Runs in a worker thread in production (workers/mqtt-worker.ts) but depends on nothing
 * worker-specific, so benchmarks and tests run it inline.
 *
 * Why the original bug (P14-1.1) cannot exist here: MQTT.js callbacks never do work. The `connect`
 * handler only records the new connection generation and posts a `reconcile` job to a
 * single-consumer mailbox (DiscoveryLoop). The consumer runs one job at a time, coalesces posts,
 * and abandons a job as soon as its generation goes stale. There is no second event loop to start,
 * no blocking call, and every promise is handled.
 */
import { randomBytes } from "node:crypto";
import { monitorEventLoopDelay, performance, type IntervalHistogram } from "node:perf_hooks";
import { getHeapStatistics } from "node:v8";
import mqtt, { type IClientOptions, type IPublishPacket, type MqttClient } from "mqtt";
import pino, { type Logger } from "pino";
import type { Camera } from "../domain/camera.js";
import {
  allCameraDiscoveryTopics,
  cameraDiscoveryTopics,
  discoveryContextFrom,
  renderCameraDiscovery,
  renderDiscovery,
  type DiscoveryContext,
  type RetainedMessage,
} from "../ha/discovery.js";
import { discoverySubscriptions } from "../ha/ownership.js";
import { payloadDigest, planLeftovers } from "../ha/reconcile-plan.js";
import { cameraStateTopics, syncBarrierTopic, testMessageTopic } from "../ha/topics.js";
import { Backoff } from "./backoff.js";
import { brokerKey, brokerUrl, buildClientOptions, buildTestClientOptions, connectionChanged, type FileReader } from "./client-options.js";
import type {
  ActionResult,
  ActorInit,
  ActorListener,
  ActorOptions,
  ConnectionTestParams,
  ConnectionTestResult,
  DeliveryResult,
  MqttActorApi,
  MqttConnectionState,
  MqttProtocol,
  MqttStatus,
  OutboundMessage,
  ReconcileReport,
  StateMessage,
  WorkerHealth,
} from "./contract.js";
import { DiscoveryLoop, StaleJobError, type JobOutcome } from "./discovery-loop.js";
import { RenderPool } from "./render-pool.js";
import { effectiveAvailabilityTopic, type MqttSettings } from "./settings.js";

export const DEFAULT_ACTOR_OPTIONS: ActorOptions = {
  reconnect_min_ms: 1000,
  reconnect_max_ms: 60_000,
  connect_timeout_ms: 10_000,
  retained_collect_ms: 2000,
  // Streamed inline rendering (chunks between publishes, yielding to the loop) is cheaper than the
  // pool on small machines: no extra isolates, no structured clone of 60,000 configs. The pool is
  // used only when configured with a lower threshold.
  render_pool_threshold: 1_000_000,
  render_pool_threads: 2,
};

/** CONNACK codes: v3.1.1 return codes and v5 reason codes. */
const UNSUPPORTED_PROTOCOL = new Set([1, 132]);
const NOT_AUTHORIZED = new Set([4, 5, 134, 135]);
/** Publishes in flight when the broker announces no receive maximum (3.1.1). */
const DEFAULT_WINDOW = 256;
/** Above this many possible topics, retained configs are also collected by exact topic. */
const EXACT_COLLECT_THRESHOLD = 3000;
const EXACT_BATCH = 500;
const EXACT_LANES = 4;
/**
 * Phase 1 may have been truncated when it received at least this many retained configs. Brokers cap
 * a client's queue (mosquitto: max_queued_messages 1000); a lower figure leaves a margin for
 * brokers configured tighter. Below it, the wildcard phase saw everything.
 */
const TRUNCATION_SUSPECT = 256;
/** Retained by mosquitto ("mosquitto version 2.0.11"); other brokers differ or hide `$SYS`. */
const BROKER_VERSION_TOPIC = "$SYS/broker/version";
/** Cameras rendered per step of a streamed reconcile (600 configs in entity mode, ~4 ms). */
const RENDER_CHUNK = 100;
/** The next chunk is rendered once at most this many configs wait or fly. */
const STREAM_LOW_WATER = 1000;
/** A reconcile handling at least this many messages is followed by `deps.compact` (see MqttActorDeps). */
const COMPACT_AFTER_MESSAGES = 5000;
/** ...this long after the reconcile (skipped if another job is running by then). */
const COMPACT_DELAY_MS = 100;
/** Counter-only changes (publishes, in flight) are reported at most this often. */
const NOTIFY_INTERVAL_MS = 250;
/** Idle heartbeat so cached health (event-loop delay, heap) never goes stale for long. */
const HEARTBEAT_MS = 5000;

/**
 * Key of the state reports the worker entry (workers/mqtt-worker.ts) posts on its parentPort, beside
 * Comlink's own messages (Comlink ignores messages without an id). One port keeps them in order with
 * the calls' answers.
 */
export const WORKER_STATE_KEY = "argusMqttState";

export class NotConnectedError extends Error {
  constructor(message = "not connected") {
    super(message);
    this.name = "NotConnectedError";
  }
}

type ReconcileReason = ReconcileReport["reason"];
type Job =
  | { kind: "reconcile"; reason: ReconcileReason; generation: number }
  | { kind: "cameras"; generation: number };

/**
 * FIFO counting semaphore over the broker's receive maximum, callback-based (no promise per slot);
 * `fail` answers every waiter with the error (connection gone).
 */
class Window {
  private free: number;
  private waiters: Array<(err: Error | null) => void> = [];
  private head = 0;
  private failed: Error | null = null;
  constructor(readonly size: number) {
    this.free = size;
  }
  /** Calls `cb(null)` once a slot is held (synchronously when one is free), or `cb(err)`. */
  take(cb: (err: Error | null) => void): void {
    if (this.failed) {
      cb(this.failed);
      return;
    }
    if (this.free > 0 && this.head === this.waiters.length) {
      this.free -= 1;
      cb(null);
      return;
    }
    this.waiters.push(cb);
  }
  release(): void {
    if (this.head < this.waiters.length) {
      const next = this.waiters[this.head]!;
      this.waiters[this.head++] = undefined as unknown as (err: Error | null) => void;
      if (this.head === this.waiters.length) {
        this.waiters = [];
        this.head = 0;
      }
      next(null);
    } else this.free += 1;
  }
  fail(err: Error): void {
    this.failed = err;
    const waiting = this.waiters.slice(this.head);
    this.waiters = [];
    this.head = 0;
    for (const w of waiting) w(err);
  }
  get waiting(): number {
    return this.waiters.length - this.head;
  }
}

/** One MQTT.js client and everything tied to its lifetime. */
interface Conn {
  id: number;
  client: MqttClient;
  protocol: MqttProtocol;
  settings: MqttSettings;
  /** Connection generation, set when CONNACK arrives; null until then. */
  generation: number | null;
  closed: boolean;
  /** Set by teardown: the close that follows is ours and schedules nothing. */
  retired: boolean;
  fallback: boolean;
  authFailed: boolean;
  closedPromise: Promise<never>;
  markClosed: (err: Error) => void;
  window: Window | null;
  haStatusTopic: string | null;
  collector: ((topic: string, payload: Buffer, packet: IPublishPacket) => void) | null;
  watchdog: NodeJS.Timeout | null;
  /** Publishes awaiting their ack; failed on close or by the sweep after their deadline. */
  pending: Set<Pending>;
  sweep: NodeJS.Timeout | null;
}

/** Retained discovery configs seen: digests on wanted topics, whole payloads on the others. */
interface Retained {
  digests: Map<string, number>;
  others: Map<string, string>;
}

const byId = (a: Camera, b: Camera) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0);
const yieldToLoop = () => new Promise<void>((r) => setImmediate(r));

/** A bounded publish pump fed while it runs (see MqttActor.openStream). */
interface PublishStream {
  push(messages: readonly RetainedMessage[]): void;
  /** No more messages; resolves when every pushed message is acknowledged. */
  end(): Promise<void>;
  /** Resolves when at most `limit` messages are queued or in flight (or the stream failed). */
  whenBelow(limit: number): Promise<void>;
}

interface Pending {
  deadline: number;
  fail: (e: Error) => void;
}

export interface MqttActorDeps {
  logger?: Logger;
  /**
   * Called (from a timer, when the loop is idle) after a reconcile that published many messages.
   * The worker entry passes a full GC: an idle isolate otherwise keeps a big reconcile's garbage
   * (~100 MB for 10,000 cameras) resident for good.
   */
  compact?: () => void;
  random?: () => number;
  readFile?: FileReader;
}

function topicMatches(filter: string, topic: string): boolean {
  const f = filter.split("/");
  const t = topic.split("/");
  for (let i = 0; i < f.length; i++) {
    if (f[i] === "#") return true;
    if (i >= t.length) return false;
    if (f[i] !== "+" && f[i] !== t[i]) return false;
  }
  return f.length === t.length;
}

function noDelay(client: MqttClient): void {
  const stream = client.stream as { setNoDelay?: (on: boolean) => unknown } | undefined;
  stream?.setNoDelay?.(true);
}

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

export class MqttActor implements MqttActorApi {
  private readonly log: Logger;
  private readonly random: () => number;
  private readonly readFile: FileReader | undefined;

  private settings: MqttSettings | null = null;
  private options: ActorOptions = { ...DEFAULT_ACTOR_OPTIONS };
  private appVersion = "0.0.0";
  private instanceId = "default";
  private listener: ActorListener | null = null;

  private readonly cameras = new Map<string, Camera>();
  /** Retained camera state (status, last_event, counts, activity ...): topic -> payload. */
  private readonly stateMap = new Map<string, string>();
  /** Cameras whose configs changed since the last flush. */
  private readonly dirtyCameras = new Set<string>();
  /** Retained topics to clear (removed/disabled cameras, old prefixes) at the next flush. */
  private readonly pendingClears = new Map<string, number>();
  private clearSeq = 0;

  private state: MqttConnectionState = "disabled";
  private conn: Conn | null = null;
  private connSeq = 0;
  private generation = 0;
  private lifecycle: Promise<void> = Promise.resolve();
  private retryTimer: NodeJS.Timeout | null = null;
  private nextRetryAt: number | null = null;
  private birthTimer: NodeJS.Timeout | null = null;
  private backoff: Backoff;
  private readonly protocolFallback = new Map<string, MqttProtocol>();
  private stopped = false;
  private started = false;

  private connectedSince: string | null = null;
  private lastConnectedAt: string | null = null;
  private lastProtocol: MqttProtocol | null = null;
  private lastError: string | null = null;
  private connects = 0;
  private published = 0;
  private failures = 0;
  private inFlight = 0;
  private reconcilesCompleted = 0;
  private reconcilesAbandoned = 0;
  private lastReconcile: ReconcileReport | null = null;
  private activeJobs = 0;
  private dirty = false;
  private notifyTimer: NodeJS.Timeout | null = null;
  private heartbeat: NodeJS.Timeout | null = null;
  private readonly compact: (() => void) | null;
  private compactTimer: NodeJS.Timeout | null = null;

  /** Test and benchmark introspection (not part of the cross-thread contract). */
  maxConcurrentJobs = 0;
  readonly reports: ReconcileReport[] = [];
  /** Milliseconds from the start of the last completed reconcile to each of its phases (profiling). */
  lastPhases: Record<string, number> = {};
  /** What ended the last retained-config collection (see collectRetained). */
  lastCollectEnd: "barrier" | "quiet" | "budget" | null = null;
  connectAttempts = 0;
  /** Date.now() of each connection attempt (last 200). */
  readonly attemptTimes: number[] = [];
  /** Test hook: awaited inside a reconcile after collecting retained configs. */
  testHooks: { afterCollect?: (generation: number) => Promise<void> } = {};

  private readonly loop: DiscoveryLoop<Job>;
  private readonly pool: RenderPool;
  private readonly eld: IntervalHistogram;

  constructor(deps: MqttActorDeps = {}) {
    this.log = (deps.logger ?? pino({ level: process.env.ARGUS_MQTT_LOG_LEVEL ?? "info" }, pino.destination(2))).child({
      component: "mqtt-actor",
    });
    this.random = deps.random ?? Math.random;
    this.readFile = deps.readFile;
    this.compact = deps.compact ?? null;
    this.backoff = new Backoff({ min_ms: this.options.reconnect_min_ms, max_ms: this.options.reconnect_max_ms, random: this.random });
    this.pool = new RenderPool({ threshold: this.options.render_pool_threshold, threads: this.options.render_pool_threads });
    this.eld = monitorEventLoopDelay({ resolution: 10 });
    this.eld.enable();
    this.loop = new DiscoveryLoop<Job>({
      run: (job) => this.runJob(job),
      isStale: (job) => this.isStale(job.generation),
      merge: (waiting, next) => {
        if (waiting.kind === "reconcile" && next.kind === "reconcile") {
          // A newer generation wins; "connect" is the most complete reason to report.
          const reason = waiting.reason === "connect" || next.reason === "connect" ? "connect" : next.reason;
          return { kind: "reconcile", reason, generation: Math.max(waiting.generation, next.generation) };
        }
        return next.generation >= waiting.generation ? next : waiting;
      },
      onAbandon: (job) => {
        if (job.kind === "reconcile") this.reconcilesAbandoned += 1;
        this.log.debug({ job: job.kind, generation: job.generation }, "job abandoned: connection generation changed");
      },
      onError: (job, err) => {
        this.failures += 1;
        this.lastError = `${job.kind} failed: ${this.describe(err)}`;
        this.log.error({ job: job.kind, generation: job.generation, err: this.describe(err) }, "mqtt job failed");
      },
      onSettled: () => this.notify(),
    });
  }

  // ------------------------------------------------------------------ contract

  async start(init: ActorInit, listener: ActorListener): Promise<void> {
    this.listener = listener ?? null;
    this.appVersion = init.app_version;
    this.instanceId = init.instance_id;
    this.options = { ...DEFAULT_ACTOR_OPTIONS, ...(init.options ?? {}) };
    this.backoff = new Backoff({ min_ms: this.options.reconnect_min_ms, max_ms: this.options.reconnect_max_ms, random: this.random });
    this.pool.configure({ threshold: this.options.render_pool_threshold, threads: this.options.render_pool_threads });
    this.cameras.clear();
    for (const c of init.cameras) this.cameras.set(c.id, c);
    this.stateMap.clear();
    for (const m of init.state) this.remember(m.topic, m.payload);
    this.settings = init.settings;
    this.started = true;
    this.stopped = false;
    this.log.info({ broker: this.brokerLabel(), cameras: this.cameras.size }, "mqtt actor starting");
    if (!this.heartbeat) {
      this.heartbeat = setInterval(() => this.notify(), HEARTBEAT_MS);
      this.heartbeat.unref?.();
    }
    this.restartConnection();
    this.notify();
  }

  async updateSettings(settings: MqttSettings): Promise<void> {
    const old = this.settings;
    this.settings = settings;
    if (!this.started || this.stopped) return;
    if (!old || connectionChanged(old, settings)) {
      const conn = this.liveConn();
      if (conn && old) {
        // Leave no stale retained "online" behind on an availability topic we stop using.
        const oldAvail = effectiveAvailabilityTopic(old);
        if (oldAvail !== effectiveAvailabilityTopic(settings)) {
          await this.publishQuiet(conn, [{ topic: oldAvail, payload: "" }], 1, true);
        }
      }
      this.noteOldPrefixes(old, settings);
      this.restartConnection();
      return;
    }
    this.noteOldPrefixes(old, settings);
    const conn = this.liveConn();
    if (conn && conn.haStatusTopic !== null && conn.haStatusTopic !== settings.ha_status_topic) {
      const oldTopic = conn.haStatusTopic;
      conn.haStatusTopic = null;
      conn.client.unsubscribe(oldTopic, () => undefined);
    }
    this.postReconcile("settings");
  }

  async upsertCamera(camera: Camera): Promise<void> {
    this.cameras.set(camera.id, camera);
    const s = this.settings;
    if (s) {
      if (camera.is_enabled) {
        // Only the current mode's topics are wanted again; a queued clear of the other mode's stays.
        for (const t of cameraDiscoveryTopics(camera.id, s.discovery_prefix, s.discovery_mode)) this.pendingClears.delete(t);
      } else {
        for (const t of allCameraDiscoveryTopics(camera.id, s.discovery_prefix)) this.addClear(t);
      }
    }
    this.dirtyCameras.add(camera.id);
    await this.flushCameras();
  }

  async removeCamera(cameraId: string): Promise<void> {
    this.cameras.delete(cameraId);
    this.dirtyCameras.delete(cameraId);
    const s = this.settings;
    if (s) {
      for (const t of allCameraDiscoveryTopics(cameraId, s.discovery_prefix)) this.addClear(t);
      for (const t of Object.values(cameraStateTopics(s.topic_prefix, cameraId))) {
        this.stateMap.delete(t);
        this.addClear(t);
      }
    }
    await this.flushCameras();
  }

  async publishState(messages: StateMessage[]): Promise<void> {
    for (const m of messages) this.remember(m.topic, m.payload);
    const conn = this.liveConn();
    if (!conn || messages.length === 0) return;
    await this.publishQuiet(conn, messages, 1, true);
  }

  async deliver(messages: OutboundMessage[]): Promise<DeliveryResult> {
    for (const m of messages) if (m.remember) this.remember(m.topic, m.payload);
    const conn = this.liveConn();
    if (!conn) return { delivered: [], error: "not connected" };
    // Pipelined in order; each result is handled at once so nothing is left unobserved.
    const results = messages.map((m) => {
      const expiry = !m.retain && conn.protocol === "5.0" && m.expiry_seconds !== null && m.expiry_seconds > 0 ? m.expiry_seconds : null;
      return this.publishOne(conn, m.topic, m.payload, m.qos, m.retain, expiry).then(
        () => null,
        (e: unknown) => this.describe(e),
      );
    });
    const delivered: number[] = [];
    let error: string | null = null;
    for (let i = 0; i < messages.length; i++) {
      const err = await results[i]!;
      if (err !== null) {
        error = err;
        break;
      }
      delivered.push(messages[i]!.id);
    }
    await Promise.all(results);
    return { delivered, error };
  }

  async publishDiscovery(): Promise<ActionResult<{ cameras_published: number }>> {
    const s = this.settings;
    if (!s || !s.enabled) return { ok: false, reason: "disabled", message: "MQTT integration is disabled" };
    if (!this.liveConn()) return { ok: false, reason: "not_connected", message: "MQTT broker is not connected" };
    if (!s.discovery_enabled) return { ok: false, reason: "discovery_disabled", message: "Home Assistant discovery is disabled" };
    const outcome = await this.postReconcile("manual");
    if (outcome !== "completed") {
      return { ok: false, reason: "not_connected", message: `Discovery was not published (${outcome}): connection lost` };
    }
    const count = [...this.cameras.values()].filter((c) => c.is_enabled).length;
    return { ok: true, cameras_published: count };
  }

  async publishTestMessage(): Promise<ActionResult<{ topic: string }>> {
    const s = this.settings;
    if (!s || !s.enabled) return { ok: false, reason: "disabled", message: "MQTT integration is disabled" };
    const conn = this.liveConn();
    if (!conn) return { ok: false, reason: "not_connected", message: "MQTT broker is not connected" };
    const topic = testMessageTopic(s.topic_prefix);
    const payload = JSON.stringify({
      event_type: "test",
      message: "Test message from argus-bridge",
      timestamp: new Date().toISOString(),
      source: "argus-bridge",
    });
    try {
      await this.publishOne(conn, topic, payload, 1, false, null);
    } catch (e) {
      return { ok: false, reason: "not_connected", message: `Test message not delivered: ${this.describe(e)}` };
    }
    return { ok: true, topic };
  }

  async testConnection(params: ConnectionTestParams): Promise<ConnectionTestResult> {
    const timeout = params.timeout_ms ?? 5000;
    const url = brokerUrl({ broker_host: params.broker_host, broker_port: params.broker_port, use_tls: params.use_tls });
    const scrub = (msg: string) => (params.password ? msg.split(params.password).join("****") : msg);
    let protocol: MqttProtocol = "5.0";
    for (;;) {
      let opts: IClientOptions;
      try {
        const nonce = randomBytes(4).toString("hex");
        opts = buildTestClientOptions(params, { instance_id: this.instanceId, protocol, timeout_ms: timeout, nonce }, this.readFile);
      } catch (e) {
        return { success: false, message: scrub(`Invalid connection parameters: ${this.describe(e)}`), protocol: null };
      }
      const r = await oneShotConnect(opts, timeout);
      if (r.ok) return { success: true, message: `Connected to ${url} using MQTT ${protocol}`, protocol };
      if (protocol === "5.0" && r.code !== null && UNSUPPORTED_PROTOCOL.has(r.code)) {
        protocol = "3.1.1";
        continue;
      }
      let message: string;
      if (r.code !== null && NOT_AUTHORIZED.has(r.code)) message = `Broker ${url} refused the credentials (not authorized)`;
      else if (r.timedOut) message = `Timed out after ${timeout} ms connecting to ${url}`;
      else message = `Could not connect to ${url}: ${r.error ?? "connection closed"}`;
      return { success: false, message: scrub(message), protocol: null };
    }
  }

  async status(): Promise<MqttStatus> {
    return this.buildStatus();
  }

  async health(): Promise<WorkerHealth> {
    return this.buildHealth();
  }

  async stop(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    this.clearTimers();
    this.loop.close();
    const conn = this.liveConn();
    if (conn && this.settings) {
      // The broker only sends the will on an unexpected drop: say "offline" ourselves.
      await this.publishQuiet(conn, [{ topic: effectiveAvailabilityTopic(this.settings), payload: this.settings.will_message }], 1, true);
    }
    await this.enqueueLifecycle(() => this.teardown());
    this.setState("stopped");
    await this.pool.close();
    if (this.heartbeat) clearInterval(this.heartbeat);
    this.heartbeat = null;
    if (this.compactTimer) clearTimeout(this.compactTimer);
    this.compactTimer = null;
    this.notify();
    this.eld.disable();
    this.log.info("mqtt actor stopped");
  }

  // ------------------------------------------------------------------ test/bench helpers

  /** Resolves when the mailbox is empty and no job runs. */
  whenIdle(): Promise<void> {
    return this.loop.idle();
  }

  /** Simulates a network drop: destroys the socket without a DISCONNECT (the will fires). */
  dropConnection(): void {
    const c = this.conn;
    if (c && !c.closed) c.client.stream?.destroy();
  }

  /** Renders that went through the piscina pool. */
  get pooledRenders(): number {
    return this.pool.pooledRenders;
  }

  get currentGeneration(): number {
    return this.generation;
  }

  get clientCount(): number {
    return this.conn && !this.conn.closed ? 1 : 0;
  }

  // ------------------------------------------------------------------ connection lifecycle

  private enqueueLifecycle(fn: () => Promise<void>): Promise<void> {
    const next = this.lifecycle.then(fn).catch((e: unknown) => {
      this.log.error({ err: this.describe(e) }, "mqtt lifecycle step failed");
    });
    this.lifecycle = next;
    return next;
  }

  /** Ends any client and connects anew (or goes to "disabled"). Never throws. */
  private restartConnection(): void {
    this.clearRetry();
    this.backoff.reset();
    void this.enqueueLifecycle(async () => {
      await this.teardown();
      const s = this.settings;
      if (this.stopped) return;
      if (!s || !s.enabled || s.broker_host.trim() === "") {
        this.setState("disabled");
        return;
      }
      this.attemptNow("connecting");
    });
  }

  private attemptNow(state: MqttConnectionState): void {
    void this.enqueueLifecycle(async () => {
      await this.teardown();
      if (this.stopped) return;
      this.openClient(state);
    });
  }

  private openClient(state: MqttConnectionState): void {
    const s = this.settings;
    if (!s || !s.enabled) return;
    const protocol = this.protocolFallback.get(brokerKey(s)) ?? "5.0";
    let opts: IClientOptions;
    try {
      opts = buildClientOptions(s, { instance_id: this.instanceId, protocol, connect_timeout_ms: this.options.connect_timeout_ms }, this.readFile);
    } catch (e) {
      this.lastError = `cannot build client options: ${this.describe(e)}`;
      this.scheduleRetry("reconnecting");
      return;
    }
    this.connectAttempts += 1;
    this.attemptTimes.push(Date.now());
    if (this.attemptTimes.length > 200) this.attemptTimes.shift();
    this.setState(state === "not_authorized" ? "not_authorized" : state);
    const client = mqtt.connect(opts);
    // Small control packets (SUBSCRIBE, the sync barrier) written while a publish is unacknowledged
    // would otherwise wait out Nagle + delayed ACK (~40 ms each on Linux).
    noDelay(client);
    let markClosed!: (err: Error) => void;
    const closedPromise = new Promise<never>((_, reject) => {
      markClosed = reject;
    });
    closedPromise.catch(() => undefined);
    const conn: Conn = {
      id: ++this.connSeq,
      client,
      protocol,
      settings: s,
      generation: null,
      closed: false,
      retired: false,
      fallback: false,
      authFailed: false,
      closedPromise,
      markClosed,
      window: null,
      haStatusTopic: null,
      collector: null,
      watchdog: null,
      pending: new Set(),
      sweep: null,
    };
    this.conn = conn;
    // Bounded connect: MQTT.js has connectTimeout, this catches anything that slips past it.
    conn.watchdog = setTimeout(() => {
      if (conn.generation === null && !conn.closed) {
        this.lastError = `connect timed out after ${this.options.connect_timeout_ms} ms`;
        client.end(true);
        this.onClose(conn);
      }
    }, this.options.connect_timeout_ms + 2000);
    client.on("connect", () => this.onConnect(conn));
    client.on("error", (err) => this.onClientError(conn, err));
    client.on("close", () => this.onClose(conn));
    client.on("disconnect", (packet) => {
      if (conn === this.conn) this.lastError = `broker sent DISCONNECT (reason ${packet.reasonCode ?? 0})`;
    });
    client.on("message", (topic, payload, packet) => this.onMessage(conn, topic, payload, packet));
  }

  /** The MQTT.js connect handler: bookkeeping and one post to the mailbox, nothing else. */
  private onConnect(conn: Conn): void {
    if (conn !== this.conn || conn.closed || conn.retired) return;
    if (conn.watchdog) clearTimeout(conn.watchdog);
    this.generation += 1;
    conn.generation = this.generation;
    const receiveMax = conn.protocol === "5.0" ? conn.client.serverProperties?.receiveMaximum : undefined;
    conn.window = new Window(Math.max(1, Math.min(receiveMax ?? DEFAULT_WINDOW, 1024)));
    conn.sweep = setInterval(() => {
      const now = Date.now();
      for (const p of conn.pending) if (p.deadline < now) p.fail(new Error(`no acknowledgement within ${this.opTimeout()} ms`));
    }, 500);
    this.connects += 1;
    this.connectedSince = new Date().toISOString();
    this.lastConnectedAt = this.connectedSince;
    this.lastProtocol = conn.protocol;
    this.lastError = null;
    this.backoff.reset();
    this.nextRetryAt = null;
    this.setState("connected");
    this.log.info({ broker: this.brokerLabel(), protocol: conn.protocol, generation: conn.generation }, "mqtt connected");
    void this.postReconcile("connect", conn.generation);
  }

  private onClientError(conn: Conn, err: Error & { code?: unknown }): void {
    if (conn !== this.conn || conn.retired) return;
    const code = typeof err.code === "number" ? err.code : null;
    if (code !== null && UNSUPPORTED_PROTOCOL.has(code) && conn.protocol === "5.0") {
      this.protocolFallback.set(brokerKey(conn.settings), "3.1.1");
      conn.fallback = true;
      this.lastError = "broker refused MQTT 5; using MQTT 3.1.1";
      this.log.warn({ broker: this.brokerLabel() }, "broker refused MQTT 5, falling back to 3.1.1");
      return;
    }
    if (code !== null && NOT_AUTHORIZED.has(code)) {
      conn.authFailed = true;
      this.lastError = `not authorized: the broker refused the credentials (code ${code})`;
      this.log.warn({ broker: this.brokerLabel(), code }, "mqtt not authorized");
      return;
    }
    this.lastError = this.scrub(err.message);
    this.touch();
    this.log.warn({ broker: this.brokerLabel(), err: this.lastError }, "mqtt client error");
  }

  private onClose(conn: Conn): void {
    if (conn.closed) return;
    conn.closed = true;
    if (conn.watchdog) clearTimeout(conn.watchdog);
    const err = new StaleJobError("connection closed");
    conn.markClosed(err);
    conn.window?.fail(err);
    if (conn.sweep) clearInterval(conn.sweep);
    for (const p of [...conn.pending]) p.fail(err);
    conn.collector = null;
    if (conn !== this.conn || conn.retired || this.stopped) return;
    const wasConnected = conn.generation !== null;
    this.connectedSince = null;
    if (wasConnected) this.log.warn({ broker: this.brokerLabel(), generation: conn.generation }, "mqtt connection lost, reconnecting");
    // A broker that drops the socket before CONNACK (bad packet, refused session) says nothing else.
    else if (!conn.authFailed && !conn.fallback && this.lastError === null) this.lastError = "connection closed by the broker before it accepted the session";
    // Make sure MQTT.js holds nothing (timers, sockets) for this client any more.
    conn.client.end(true);
    if (conn.fallback) {
      this.attemptNow("connecting");
      return;
    }
    this.scheduleRetry(conn.authFailed ? "not_authorized" : "reconnecting");
  }

  private scheduleRetry(state: MqttConnectionState): void {
    if (this.stopped) return;
    this.clearRetry();
    const delay = this.backoff.next();
    this.nextRetryAt = Date.now() + delay;
    this.setState(state);
    this.retryTimer = setTimeout(() => {
      this.retryTimer = null;
      this.nextRetryAt = null;
      this.attemptNow(state === "not_authorized" ? "not_authorized" : "reconnecting");
    }, delay);
  }

  /** Ends the current client fully before anything else may create one. Its close schedules nothing. */
  private async teardown(): Promise<void> {
    const conn = this.conn;
    if (!conn) return;
    conn.retired = true;
    if (conn.watchdog) clearTimeout(conn.watchdog);
    // Graceful when connected (DISCONNECT: the broker drops the will), forced otherwise; bounded.
    await endClient(conn.client, conn.closed || !conn.client.connected);
    this.onClose(conn);
    if (this.conn === conn) this.conn = null;
    this.connectedSince = null;
  }

  private clearRetry(): void {
    if (this.retryTimer) clearTimeout(this.retryTimer);
    this.retryTimer = null;
    this.nextRetryAt = null;
  }

  private clearTimers(): void {
    this.clearRetry();
    if (this.birthTimer) clearTimeout(this.birthTimer);
    this.birthTimer = null;
  }

  // ------------------------------------------------------------------ messages in

  private onMessage(conn: Conn, topic: string, payload: Buffer, packet: IPublishPacket): void {
    try {
      if (conn !== this.conn || conn.closed) return;
      if (conn.collector) conn.collector(topic, payload, packet);
      const s = this.settings;
      // A retained copy is history, not a birth: only a live "online" means HA (re)started.
      if (s && topic === s.ha_status_topic && !packet.retain && payload.toString() === "online") this.scheduleBirthReconcile();
    } catch (e) {
      this.log.error({ err: this.describe(e) }, "mqtt message handler failed");
    }
  }

  private scheduleBirthReconcile(): void {
    if (this.birthTimer || !this.settings) return;
    const delay = Math.floor(this.random() * Math.max(0, this.settings.ha_birth_delay_max_ms));
    this.log.info({ delay_ms: delay }, "home assistant birth seen, republishing after delay");
    this.birthTimer = setTimeout(() => {
      this.birthTimer = null;
      void this.postReconcile("ha_birth");
    }, delay);
  }

  // ------------------------------------------------------------------ mailbox jobs

  private postReconcile(reason: ReconcileReason, generation?: number): Promise<JobOutcome> {
    const gen = generation ?? this.liveConn()?.generation ?? null;
    if (gen === null) return Promise.resolve("dropped");
    return this.loop.post("reconcile", { kind: "reconcile", reason, generation: gen });
  }

  /** Publishes pending camera changes now if connected; otherwise the next reconcile does. */
  private async flushCameras(): Promise<void> {
    const conn = this.liveConn();
    if (!conn || conn.generation === null) return;
    await this.loop.post("cameras", { kind: "cameras", generation: conn.generation });
  }

  private isStale(generation: number): boolean {
    const c = this.conn;
    return this.stopped || !c || c.closed || c.retired || c.generation !== generation;
  }

  private connFor(generation: number): Conn {
    if (this.isStale(generation)) throw new StaleJobError();
    return this.conn!;
  }

  private async runJob(job: Job): Promise<void> {
    this.activeJobs += 1;
    this.maxConcurrentJobs = Math.max(this.maxConcurrentJobs, this.activeJobs);
    try {
      if (job.kind === "reconcile") await this.reconcile(job.reason, job.generation);
      else await this.flushCameraJob(job.generation);
    } finally {
      this.activeJobs -= 1;
    }
  }

  private ctx(s: MqttSettings): DiscoveryContext {
    return discoveryContextFrom(s, this.appVersion);
  }

  private async reconcile(reason: ReconcileReason, generation: number): Promise<void> {
    const started = performance.now();
    const phases: Record<string, number> = {};
    const mark = (name: string) => (phases[name] = Math.round(performance.now() - started));
    let conn = this.connFor(generation);
    const s = this.settings!;
    const ctx = this.ctx(s);
    this.notify();

    // Home Assistant's birth topic: subscribed once per connection (clean session). Its SUBSCRIBE
    // goes out now; the SUBACK is awaited below, with the other independent steps.
    let haSub: Promise<unknown> = Promise.resolve();
    if (conn.haStatusTopic !== s.ha_status_topic) {
      const topic = s.ha_status_topic;
      haSub = this.guard(conn, conn.client.subscribeAsync(topic, { qos: 1 })).then(() => {
        conn.haStatusTopic = topic;
      });
      haSub.catch(() => undefined);
    }

    // 1. Birth first: entities become available as soon as their configs land. Written first (the
    //    FIFO window keeps the order on the wire); its PUBACK is awaited before the configs go out.
    const birth = this.publishMany(conn, [{ topic: ctx.availability_topic, payload: s.birth_message }], 1, true);
    birth.catch(() => undefined);

    // 3 (started early). What should be retained. Its topics are known without rendering; the
    // configs themselves are rendered while the retained ones are collected (in the pool for large
    // installations when configured) or streamed in chunks into the publish pump (default), so no
    // reconcile holds all 60,000 rendered configs of 10,000 cameras at once.
    // Taken in one synchronous step: changes after it are flushed by the "cameras" job that follows.
    const dirtySnapshot = [...this.dirtyCameras];
    this.dirtyCameras.clear();
    const clearSnapshot = [...this.pendingClears];
    const enabled = s.discovery_enabled ? [...this.cameras.values()].filter((c) => c.is_enabled).sort(byId) : [];
    const wanted = new Set<string>();
    for (const c of enabled) for (const t of cameraDiscoveryTopics(c.id, s.discovery_prefix, s.discovery_mode)) wanted.add(t);
    const pooled: Promise<RetainedMessage[]> | null = this.pool.pools(enabled.length) ? this.pool.render(enabled, ctx) : null;
    pooled?.catch(() => undefined);

    let migrate: RetainedMessage[];
    let clear: RetainedMessage[];
    let sent = 0;
    let skipped = 0;
    try {
      // 2. What is retained now (ours and others'), to skip unchanged configs and find leftovers.
      const retained = await this.collectRetained(conn, s.discovery_prefix, generation, wanted);
      mark("collected");
      await this.testHooks.afterCollect?.(generation);
      conn = this.connFor(generation);
      await haSub;
      await birth;
      mark("birth_acked");
      ({ migrate, clear } = planLeftovers(wanted, retained.others, ctx));
      retained.others.clear();
      const digests = retained.digests;

      // 4. Migrate markers, then configs, then removals (the HA mode-switch order).
      await this.publishMany(conn, migrate, 1, true);
      const stream = this.openStream(conn, 1, true);
      const feed = (msgs: readonly RetainedMessage[]) => {
        const out: RetainedMessage[] = [];
        for (const m of msgs) {
          const d = digests.get(m.topic);
          if (d !== undefined && d === payloadDigest(m.payload)) skipped++;
          else out.push(m);
        }
        sent += out.length;
        stream.push(out);
      };
      try {
        if (pooled) feed(await pooled);
        else {
          for (let i = 0; i < enabled.length; i += RENDER_CHUNK) {
            feed(renderDiscovery(enabled.slice(i, i + RENDER_CHUNK), ctx));
            if (i + RENDER_CHUNK >= enabled.length) break;
            // Bounded memory and a responsive loop (keepalives, PUBACKs): render the next chunk
            // once the pump is down to its low-water mark, and never in the same macrotask.
            await stream.whenBelow(STREAM_LOW_WATER);
            await yieldToLoop();
            this.connFor(generation);
          }
        }
        mark("rendered");
      } finally {
        await stream.end();
      }
      digests.clear();
      await this.publishMany(conn, clear, 1, true);
      mark("configs_acked");
    } catch (e) {
      for (const id of dirtySnapshot) this.dirtyCameras.add(id);
      throw e;
    }

    // 5. Leftovers the plan cannot see: removed cameras' state topics and configs under an old
    //    discovery prefix. Configs under the current prefix are the plan's job (it clears what it
    //    owns and saw retained; clearing blindly could remove another application's config).
    const clears = clearSnapshot
      .map(([topic]) => topic)
      .filter((t) => !wanted.has(t) && !this.stateMap.has(t) && !isDiscoveryTopic(t, s));
    await this.publishMany(conn, clears.map((topic) => ({ topic, payload: "" })), 1, true);
    this.dropClears(clearSnapshot);

    // 6. Camera state as last remembered. Same FIFO window as direct publishes: a newer
    //    publishState issued after this point is written after, so it is never overtaken.
    //    The pump takes messages gradually, so each payload is read from stateMap when its window
    //    slot is granted: a publishState racing this phase is never overtaken by an older value,
    //    and a state removed meanwhile is skipped.
    const states = [...this.stateMap.keys()].map((topic) => ({ topic, payload: "" }));
    const stateStream = this.openStream(conn, 1, true, (topic) => this.stateMap.get(topic) ?? null);
    stateStream.push(states);
    await stateStream.end();
    mark("states_acked");
    this.lastPhases = phases;

    const report: ReconcileReport = {
      reason,
      generation,
      duration_ms: Math.round(performance.now() - started),
      configs_sent: migrate.length + sent,
      configs_skipped: skipped,
      configs_cleared: clear.length + clears.length,
      states_sent: states.length,
      finished_at: new Date().toISOString(),
    };
    this.lastReconcile = report;
    this.reconcilesCompleted += 1;
    this.reports.push(report);
    if (this.reports.length > 500) this.reports.splice(0, this.reports.length - 500);
    this.log.info(report, "discovery reconcile done");
    if (this.compact && report.configs_sent + report.configs_skipped + report.states_sent >= COMPACT_AFTER_MESSAGES) this.scheduleCompact();
  }

  private scheduleCompact(): void {
    if (this.compactTimer || !this.compact) return;
    const compact = this.compact;
    this.compactTimer = setTimeout(() => {
      this.compactTimer = null;
      if (this.loop.busy || this.stopped) return;
      try {
        compact();
      } catch {
        /* best effort */
      }
    }, COMPACT_DELAY_MS);
    this.compactTimer.unref?.();
  }

  private async flushCameraJob(generation: number): Promise<void> {
    const conn = this.connFor(generation);
    const s = this.settings!;
    const ctx = this.ctx(s);
    const ids = [...this.dirtyCameras];
    this.dirtyCameras.clear();
    const clearSnapshot = [...this.pendingClears];
    const publish: RetainedMessage[] = [];
    if (s.discovery_enabled) {
      for (const id of ids) {
        const cam = this.cameras.get(id);
        if (cam && cam.is_enabled) publish.push(...renderCameraDiscovery(cam, ctx));
      }
    }
    const publishing = new Set(publish.map((m) => m.topic));
    const clearMsgs = clearSnapshot
      .map(([topic]) => topic)
      .filter((t) => !publishing.has(t) && !this.stateMap.has(t))
      .map((topic) => ({ topic, payload: "" }));
    try {
      await this.publishMany(conn, clearMsgs, 1, true);
      await this.publishMany(conn, publish, 1, true);
    } catch (e) {
      for (const id of ids) this.dirtyCameras.add(id);
      throw e;
    }
    this.dropClears(clearSnapshot);
  }

  /**
   * Gathers the retained discovery configs. Phase 1: the wildcard filters. MQTT has no "end of
   * retained" marker. Mosquitto (identified by its retained `$SYS/broker/version`, asked for in the
   * same SUBSCRIBE) queues every retained message of a SUBSCRIBE while handling it, so a sync
   * barrier (a message we publish to ourselves after the SUBACK) echoes behind all of them: the echo
   * ends the phase. Other brokers stream them concurrently (aedes, EMQX), and an ACL may hide
   * `$SYS`: there the quiet window or the budget ends it.
   * Phase 2 (large installations): brokers drop retained messages beyond their per-client queue on
   * a wildcard subscribe (mosquitto delivers ~9,000 of 60,000), so every topic we could own for a
   * known camera (both modes) that phase 1 did not see is asked for by exact-topic SUBSCRIBE +
   * UNSUBSCRIBE batches; the UNSUBACK follows the batch's retained messages.
   */
  private async collectRetained(conn: Conn, discoveryPrefix: string, generation: number, wanted: ReadonlySet<string>): Promise<Retained> {
    const subs = discoverySubscriptions(discoveryPrefix);
    // Wanted topics only need "is it identical": a digest, not the whole config (memory).
    const digests = new Map<string, number>();
    const others = new Map<string, string>();
    const collected = { has: (t: string) => digests.has(t) || others.has(t), get size() { return digests.size + others.size; } };
    const nonce = randomBytes(8).toString("hex");
    const barrierTopic = syncBarrierTopic(conn.settings.topic_prefix, nonce);
    let barrierSeen = false;
    let orderedBroker = false;
    let wake: (() => void) | null = null;
    let last = performance.now();
    conn.collector = (topic, payload, packet) => {
      if (topic === barrierTopic) {
        if (!packet.retain && payload.toString() === nonce) {
          barrierSeen = true;
          wake?.();
        }
        return;
      }
      if (!packet.retain) return;
      if (topic === BROKER_VERSION_TOPIC) {
        orderedBroker = payload.toString().startsWith("mosquitto");
        return;
      }
      if (subs.some((f) => topicMatches(f, topic))) {
        const text = payload.toString();
        if (wanted.has(topic)) {
          digests.set(topic, payloadDigest(text));
          others.delete(topic);
        } else others.set(topic, text);
        last = performance.now();
      }
    };
    try {
      // The version first: a broker that caps its per-client queue (mosquitto drops QoS 0 beyond
      // max_queued_messages) queues it before the discovery configs, so it is never the one dropped.
      const filters: Record<string, { qos: 0 | 1 }> = { [BROKER_VERSION_TOPIC]: { qos: 0 } };
      for (const f of subs) filters[f] = { qos: 0 };
      filters[barrierTopic] = { qos: 1 };
      await this.guard(conn, conn.client.subscribeAsync(filters));
      const begin = performance.now();
      last = Math.max(last, begin);
      // Published after the SUBACK, so mosquitto routes it behind what it queued for the SUBSCRIBE.
      this.publishOne(conn, barrierTopic, nonce, 1, false, null).catch(() => undefined);
      const budget = this.options.retained_collect_ms;
      const quiet = Math.max(50, Math.min(budget, 250));
      let cutShort = false;
      for (;;) {
        const now = performance.now();
        const sinceLast = now - last;
        if (barrierSeen && orderedBroker) {
          this.lastCollectEnd = "barrier";
          break;
        }
        if (sinceLast >= quiet) {
          this.lastCollectEnd = "quiet"; // the broker has sent what it retains
          break;
        }
        // Past the budget only while retained messages are still flowing, and never forever.
        if (now - begin >= budget && (sinceLast >= 50 || now - begin >= budget * 10)) {
          cutShort = sinceLast < quiet;
          this.lastCollectEnd = "budget";
          break;
        }
        const barrier = barrierSeen ? null : new Promise<void>((r) => (wake = r));
        await Promise.race([sleep(Math.max(1, Math.min(quiet - sinceLast, 50))), conn.closedPromise, ...(barrier ? [barrier] : [])]);
        wake = null;
      }
      // The UNSUBACK is not awaited: no retained message follows an UNSUBSCRIBE, and the exact-topic
      // batches below (same connection, in order) come after it anyway.
      this.guard(conn, conn.client.unsubscribeAsync(Object.keys(filters))).catch(() => undefined);
      this.connFor(generation);

      // Only when phase 1 may have been truncated: it saw at least what a broker's per-client queue
      // may hold (mosquitto drops beyond ~1,000 queued) or was cut off while messages still flowed.
      // An empty broker (first start, broker restart without persistence) skips it entirely.
      const suspect = cutShort || collected.size >= TRUNCATION_SUSPECT;
      const known: string[] = [];
      if (suspect) {
        for (const id of this.cameras.keys()) for (const t of allCameraDiscoveryTopics(id, discoveryPrefix)) if (!collected.has(t)) known.push(t);
      }
      if (suspect && collected.size + known.length > EXACT_COLLECT_THRESHOLD && known.length > 0) {
        const batches: string[][] = [];
        for (let i = 0; i < known.length; i += EXACT_BATCH) batches.push(known.slice(i, i + EXACT_BATCH));
        let next = 0;
        const lane = async () => {
          while (next < batches.length) {
            const batch = batches[next++]!;
            await this.guard(conn, conn.client.subscribeAsync(batch, { qos: 0 }));
            await this.guard(conn, conn.client.unsubscribeAsync(batch));
          }
        };
        await Promise.all(Array.from({ length: EXACT_LANES }, lane));
      }
    } finally {
      conn.collector = null;
    }
    return { digests, others };
  }

  // ------------------------------------------------------------------ messages out

  private liveConn(): Conn | null {
    const c = this.conn;
    return c && !c.closed && !c.retired && c.generation !== null && c.window ? c : null;
  }

  /** Races an operation with the connection's end and a timeout: nothing waits forever. */
  private guard<T>(conn: Conn, p: Promise<T>, timeoutMs = this.opTimeout()): Promise<T> {
    p.catch(() => undefined);
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`timed out after ${timeoutMs} ms`)), timeoutMs);
    });
    return Promise.race([p, conn.closedPromise, timeout]).finally(() => clearTimeout(timer));
  }

  private opTimeout(): number {
    return Math.max(5000, this.options.connect_timeout_ms);
  }

  private publishOptions(conn: Conn, qos: 0 | 1 | 2, retain: boolean, expiry: number | null): mqtt.IClientPublishOptions {
    const opts: mqtt.IClientPublishOptions = { qos, retain };
    if (expiry !== null && conn.protocol === "5.0" && !retain) opts.properties = { messageExpiryInterval: expiry };
    return opts;
  }

  /**
   * Sends one message that already holds a window slot and calls `done` exactly once: on the PUBACK
   * (QoS > 0) or the write (QoS 0), on close (StaleJobError) or when the connection's sweep finds it
   * past its deadline. No timer and no promise per message.
   */
  private sendOne(conn: Conn, topic: string, payload: string, opts: mqtt.IClientPublishOptions, done: (err: Error | null) => void): void {
    let settled = false;
    const entry: Pending = { deadline: Date.now() + this.opTimeout(), fail: (e) => settle(e) };
    const settle = (err: Error | null | undefined) => {
      if (settled) return;
      settled = true;
      conn.pending.delete(entry);
      this.inFlight -= 1;
      if (err) {
        if (!(err instanceof StaleJobError)) this.failures += 1;
      } else this.published += 1;
      this.touch();
      done(err ?? null);
    };
    this.inFlight += 1;
    conn.pending.add(entry);
    if (conn.closed) {
      settle(new StaleJobError("connection closed"));
      return;
    }
    try {
      conn.client.publish(topic, payload, opts, (err) => settle(err ?? null));
    } catch (e) {
      settle(e instanceof Error ? e : new Error(String(e)));
    }
  }

  /**
   * One publish, bounded: waits for a window slot (the broker's receive maximum), then for the
   * PUBACK (QoS > 0) or the write (QoS 0). Rejects when the connection closes or on timeout.
   */
  private publishOne(conn: Conn, topic: string, payload: string, qos: 0 | 1 | 2, retain: boolean, expiry: number | null): Promise<void> {
    if (conn.closed || !conn.window) return Promise.reject(new NotConnectedError());
    const window = conn.window;
    const opts = this.publishOptions(conn, qos, retain, expiry);
    return new Promise<void>((resolve, reject) =>
      window.take((err) => {
        if (err) {
          reject(err);
          return;
        }
        this.sendOne(conn, topic, payload, opts, (e) => {
          window.release();
          if (e) reject(e);
          else resolve();
        });
      }),
    );
  }

  /** Publishes a fixed list through a bounded pump (see openStream); resolves when all are acknowledged. */
  private publishMany(conn: Conn, messages: readonly RetainedMessage[], qos: 0 | 1 | 2, retain: boolean): Promise<void> {
    if (messages.length === 0) return Promise.resolve();
    const stream = this.openStream(conn, qos, retain);
    stream.push(messages);
    return stream.end();
  }

  /**
   * Bounded pump: at most `window.size` lanes pull the next queued message by index, each holding one
   * window slot per message (so other publishers, e.g. deliver(), interleave fairly in FIFO order).
   * No promise and no timer per message: the connection's sweep bounds each PUBACK wait and its
   * close fails everything at once. Messages can be pushed while it runs (streamed rendering);
   * `end()` resolves when every message is acknowledged. On the first failure no new message is
   * started, the ones in flight settle, then `end()` rejects (StaleJobError when the connection went
   * away).
   */
  private openStream(conn: Conn, qos: 0 | 1 | 2, retain: boolean, current?: (topic: string) => string | null): PublishStream {
    const window = conn.window;
    let queue: Array<RetainedMessage | undefined> = [];
    let head = 0;
    let active = 0;
    let failure: Error | null = conn.closed || !window ? new StaleJobError("connection closed") : null;
    let idle = window ? window.size : 0;
    let ended = false;
    let settled = false;
    let low: { limit: number; resolve: () => void } | null = null;
    let resolveEnd!: () => void;
    let rejectEnd!: (e: Error) => void;
    const done = new Promise<void>((res, rej) => {
      resolveEnd = res;
      rejectEnd = rej;
    });
    done.catch(() => undefined);
    const opts = this.publishOptions(conn, qos, retain, null);
    const backlog = () => queue.length - head + active;
    const checkLow = () => {
      if (low && (failure !== null || backlog() <= low.limit)) {
        const w = low;
        low = null;
        w.resolve();
      }
    };
    const finish = () => {
      if (settled || active > 0) return;
      if (failure === null && (!ended || head < queue.length)) return;
      settled = true;
      queue = [];
      head = 0;
      if (failure === null) resolveEnd();
      else rejectEnd(conn.closed || failure instanceof StaleJobError ? new StaleJobError() : failure);
    };
    const park = () => {
      idle += 1;
      checkLow();
      finish();
    };
    const lane = (): void => {
      if (failure !== null || head >= queue.length || !window) {
        park();
        return;
      }
      const m = queue[head]!;
      queue[head++] = undefined; // the pump holds no message it has sent
      if (head >= 4096 && head * 2 >= queue.length) {
        queue = queue.slice(head);
        head = 0;
      }
      active += 1;
      window.take((err) => {
        if (err) {
          active -= 1;
          failure ??= err;
          park();
          return;
        }
        let sync = true;
        const payload = current ? current(m.topic) : m.payload;
        const after = (e: Error | null) => {
          window.release();
          active -= 1;
          if (e) failure ??= e;
          // An ack that arrives synchronously (QoS 0 writes, a client refusing at once) must not
          // grow the stack message after message.
          if (sync) queueMicrotask(lane);
          else lane();
        };
        if (payload === null) after(null); // gone meanwhile: nothing to send
        else this.sendOne(conn, m.topic, payload, opts, after);
        sync = false;
      });
      checkLow();
    };
    return {
      push: (messages) => {
        if (ended || failure !== null) return;
        for (const m of messages) queue.push(m);
        while (idle > 0 && head < queue.length && failure === null) {
          idle -= 1;
          lane();
        }
      },
      end: () => {
        ended = true;
        finish();
        return done;
      },
      whenBelow: (limit) => {
        if (failure !== null || backlog() <= limit) return Promise.resolve();
        return new Promise<void>((resolve) => {
          low?.resolve();
          low = { limit, resolve };
        });
      },
    };
  }

  /** Fire-and-account: failures are counted and logged, never thrown. */
  private async publishQuiet(conn: Conn, messages: readonly RetainedMessage[], qos: 0 | 1 | 2, retain: boolean): Promise<void> {
    try {
      await this.publishMany(conn, messages, qos, retain);
    } catch (e) {
      if (!(e instanceof StaleJobError)) this.log.warn({ err: this.describe(e), count: messages.length }, "publish failed");
    }
  }

  private remember(topic: string, payload: string): void {
    if (payload === "") {
      this.stateMap.delete(topic);
      this.addClear(topic);
    } else {
      this.stateMap.set(topic, payload);
      this.pendingClears.delete(topic);
    }
  }

  private addClear(topic: string): void {
    this.pendingClears.set(topic, ++this.clearSeq);
  }

  /** Forgets handled clears, unless one was re-added meanwhile (it then still needs sending). */
  private dropClears(handled: Array<[string, number]>): void {
    for (const [topic, seq] of handled) if (this.pendingClears.get(topic) === seq) this.pendingClears.delete(topic);
  }

  /** After a prefix change, configs/state under the old prefixes must be cleared. */
  private noteOldPrefixes(old: MqttSettings | null, next: MqttSettings): void {
    if (!old) return;
    if (old.discovery_prefix !== next.discovery_prefix) {
      for (const id of this.cameras.keys()) for (const t of allCameraDiscoveryTopics(id, old.discovery_prefix)) this.addClear(t);
    }
    if (old.topic_prefix !== next.topic_prefix) {
      for (const id of this.cameras.keys()) {
        for (const t of Object.values(cameraStateTopics(old.topic_prefix, id))) {
          if (this.stateMap.delete(t)) this.addClear(t);
        }
      }
    }
  }

  // ------------------------------------------------------------------ status

  private setState(state: MqttConnectionState): void {
    if (this.state === state) return;
    this.state = state;
    this.notify();
  }

  /**
   * Reports now. Used for every change that matters (state, job settled, reconcile start); counters
   * go through `touch()`, which coalesces them into one report per NOTIFY_INTERVAL_MS.
   */
  private notify(): void {
    this.dirty = false;
    if (this.notifyTimer) {
      clearTimeout(this.notifyTimer);
      this.notifyTimer = null;
    }
    const l = this.listener;
    if (!l) return;
    try {
      const r = l({ status: this.buildStatus(), health: this.buildHealth() }) as unknown;
      if (r && typeof (r as Promise<void>).then === "function") (r as Promise<void>).then(undefined, () => undefined);
    } catch {
      /* a listener failure must never reach MQTT.js or the loop */
    }
  }

  /** A counter changed: report within NOTIFY_INTERVAL_MS (one message however many changes). */
  private touch(): void {
    if (this.dirty) return;
    this.dirty = true;
    if (!this.listener || this.notifyTimer) return;
    this.notifyTimer = setTimeout(() => {
      this.notifyTimer = null;
      if (this.dirty) this.notify();
    }, NOTIFY_INTERVAL_MS);
    this.notifyTimer.unref?.();
  }

  /**
   * Sends a pending (throttled) report now. The worker entry calls it after every contract call, so
   * a caller that reads the supervisor's cached status after its call returns sees its own effects
   * (the report and the call's answer travel in order on the same port).
   */
  flushNotify(): void {
    if (this.dirty) this.notify();
  }

  private buildStatus(): MqttStatus {
    const connected = this.liveConn() !== null;
    return {
      connected,
      state: this.state,
      protocol: connected ? this.conn!.protocol : this.lastProtocol,
      broker: this.settings && this.settings.broker_host ? brokerUrl(this.settings) : null,
      last_connected_at: this.lastConnectedAt,
      messages_published: this.published,
      last_error: this.lastError,
      reconnect_attempt: this.backoff.attempt,
      next_retry_in_ms: this.nextRetryAt !== null ? Math.max(0, this.nextRetryAt - Date.now()) : null,
    };
  }

  private buildHealth(): WorkerHealth {
    const p99 = this.eld.percentile(99);
    return {
      state: this.state,
      generation: this.generation,
      connected_since: this.connectedSince,
      reconnects: Math.max(0, this.connects - 1),
      publishes: this.published,
      failures: this.failures,
      queue_depth: this.loop.depth,
      in_flight: this.inFlight,
      reconcile_running: this.loop.runningJob?.kind === "reconcile",
      reconciles_completed: this.reconcilesCompleted,
      reconciles_abandoned: this.reconcilesAbandoned,
      last_reconcile: this.lastReconcile,
      event_loop_delay_p99_ms: Number.isFinite(p99) ? Math.round((p99 / 1e6) * 100) / 100 : 0,
      heap_used_bytes: getHeapStatistics().used_heap_size,
    };
  }

  private brokerLabel(): string | null {
    return this.settings && this.settings.broker_host ? brokerUrl(this.settings) : null;
  }

  private scrub(msg: string): string {
    const pw = this.settings?.password;
    return pw ? msg.split(pw).join("****") : msg;
  }

  private describe(e: unknown): string {
    return this.scrub(e instanceof Error ? e.message : String(e));
  }
}

/** Topics under the current discovery prefix that end in /config (ours or anyone's). */
function isDiscoveryTopic(topic: string, s: MqttSettings): boolean {
  return topic.startsWith(`${s.discovery_prefix}/`) && topic.endsWith("/config");
}

/** end() with a bound: a client stuck on a dead socket is destroyed after 2 s. */
function endClient(client: MqttClient, force: boolean): Promise<void> {
  return new Promise<void>((resolve) => {
    let done = false;
    const finish = () => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      resolve();
    };
    const timer = setTimeout(() => {
      try {
        client.end(true);
        client.stream?.destroy();
      } catch {
        /* ignore */
      }
      finish();
    }, 2000);
    try {
      client.end(force, {}, finish);
    } catch {
      finish();
    }
  });
}

interface OneShot {
  ok: boolean;
  code: number | null;
  error: string | null;
  timedOut: boolean;
}

/** Connects once, reports, and always ends the client. */
function oneShotConnect(opts: IClientOptions, timeoutMs: number): Promise<OneShot> {
  return new Promise<OneShot>((resolve) => {
    const client = mqtt.connect(opts);
    let settled = false;
    let lastErr: (Error & { code?: unknown }) | null = null;
    const finish = (r: OneShot) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      void endClient(client, true).then(() => resolve(r));
    };
    const timer = setTimeout(() => finish({ ok: false, code: null, error: null, timedOut: true }), timeoutMs + 500);
    client.on("connect", () => finish({ ok: true, code: null, error: null, timedOut: false }));
    client.on("error", (e: Error & { code?: unknown }) => {
      lastErr = e;
    });
    client.on("close", () => {
      const err = lastErr as (Error & { code?: unknown }) | null;
      const code = err && typeof err.code === "number" ? err.code : null;
      const timedOut = !err;
      finish({ ok: false, code, error: err ? err.message : null, timedOut });
    });
  });
}
