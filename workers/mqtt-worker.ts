/**
 * Worker-thread entry of the MQTT actor. Exposes one MqttActor over Comlink; the main-thread
 * supervisor (src/mqtt/supervisor.ts) spawns it, restarts it when it dies and replays its state.
 * Run from compiled JS: dist/workers/mqtt-worker.js.
 */
import { parentPort, threadId, workerData } from "node:worker_threads";
import * as Comlink from "comlink";
import nodeEndpoint from "comlink/dist/esm/node-adapter.mjs";
import { createLog } from "../src/log.js";
import { MqttActor } from "../src/mqtt/actor.js";

if (!parentPort) throw new Error("mqtt-worker.js must be started as a worker thread");

// Same format as the main thread's log (src/log.ts), tagged with this thread.
const logger = createLog({
  level: (workerData as { logLevel?: string } | null)?.logLevel ?? "info",
  base: { service: "argus-bridge", thread: threadId },
});

const actor = new MqttActor({ logger });
Comlink.expose(actor, nodeEndpoint(parentPort));
