/**
 * Worker-thread entry of the MQTT actor. Exposes one MqttActor over Comlink; the main-thread
 * supervisor (src/mqtt/supervisor.ts) spawns it, restarts it when it dies and replays its state.
 * Run from compiled JS: dist/workers/mqtt-worker.js.
 *
 * State reports do not go through a Comlink proxy callback: they are posted on parentPort itself as
 * `{ [WORKER_STATE_KEY]: change }`, on the same port and so in order with the answers to calls. After
 * every call a throttled (pending) report is flushed before the answer, so the supervisor's cached
 * status, read after a call returns, already includes that call's effects.
 */
import { setFlagsFromString } from "node:v8";
import { runInNewContext } from "node:vm";
import { parentPort, threadId, workerData } from "node:worker_threads";
import * as Comlink from "comlink";
import nodeEndpoint from "comlink/dist/esm/node-adapter.mjs";
import { createLog } from "../src/log.js";
import { MqttActor, WORKER_STATE_KEY } from "../src/mqtt/actor.js";
import { DEFAULT_WORKER_NICE, type ActorInit, type ActorListener, type ActorStateChange, type MqttActorApi, type MqttWorkerData } from "../src/mqtt/contract.js";
import { lowerThreadPriority } from "../src/mqtt/thread-priority.js";

if (!parentPort) throw new Error("mqtt-worker.js must be started as a worker thread");
const port = parentPort;

const data = (workerData ?? {}) as MqttWorkerData;
// Same format as the main thread's log (src/log.ts), tagged with this thread.
const logger = createLog({
  level: data.logLevel ?? "info",
  base: { service: "argus-bridge", thread: threadId },
});

// Background priority: publishing 60,000 configs must not take the cores from the HTTP thread.
const nice = data.nice ?? DEFAULT_WORKER_NICE;
const priority = lowerThreadPriority(nice);
if (priority.ok) logger.debug({ tid: priority.tid, nice: priority.nice }, "mqtt worker thread priority lowered");
else if (nice !== 0) logger.warn({ reason: priority.reason }, "mqtt worker thread priority unchanged");

/**
 * A full GC for this isolate, used by the actor after a big reconcile: V8 does not run a major GC in
 * an idle isolate, so 10,000 cameras' reconcile garbage (~100 MB) would stay resident. Exposing gc
 * at runtime is the documented-unsafe but long-standing way to get it without --expose-gc (which a
 * Worker's execArgv does not accept); if it is not available the actor simply skips compaction.
 */
function fullGc(): (() => void) | undefined {
  try {
    setFlagsFromString("--expose-gc");
    const gc = runInNewContext("gc") as unknown;
    return typeof gc === "function" ? () => (gc as () => void)() : undefined;
  } catch {
    return undefined;
  }
}

const gc = fullGc();
const actor = new MqttActor(gc ? { logger, compact: gc } : { logger });
const report: ActorListener = (change: ActorStateChange) => port.postMessage({ [WORKER_STATE_KEY]: change });

async function flushed<T>(p: Promise<T>): Promise<T> {
  try {
    return await p;
  } finally {
    actor.flushNotify();
  }
}

const api: MqttActorApi = {
  start: (init: ActorInit) => flushed(actor.start(init, report)),
  updateSettings: (s) => flushed(actor.updateSettings(s)),
  upsertCamera: (c) => flushed(actor.upsertCamera(c)),
  removeCamera: (id) => flushed(actor.removeCamera(id)),
  publishState: (m) => flushed(actor.publishState(m)),
  deliver: (m) => flushed(actor.deliver(m)),
  publishDiscovery: () => flushed(actor.publishDiscovery()),
  publishTestMessage: () => flushed(actor.publishTestMessage()),
  testConnection: (p) => flushed(actor.testConnection(p)),
  status: () => flushed(actor.status()),
  health: () => flushed(actor.health()),
  stop: () => flushed(actor.stop()),
};

Comlink.expose(api, nodeEndpoint(port));
