/**
 * Worker-thread entry of the MQTT actor. Exposes one MqttActor over Comlink; the main-thread
 * supervisor (src/mqtt/supervisor.ts) spawns it, restarts it when it dies and replays its state.
 * Run from compiled JS: dist/workers/mqtt-worker.js.
 */
import { parentPort, threadId } from "node:worker_threads";
import * as Comlink from "comlink";
import nodeEndpoint from "comlink/dist/esm/node-adapter.mjs";
import pino from "pino";
import { MqttActor } from "../src/mqtt/actor.js";

if (!parentPort) throw new Error("mqtt-worker.js must be started as a worker thread");

const logger = pino(
  {
    level: process.env.ARGUS_MQTT_LOG_LEVEL ?? "info",
    base: { pid: process.pid, thread: threadId },
    // Belt and braces: the actor never logs settings, but a password must not leak if one did.
    redact: { paths: ["password", "*.password", "settings.password"], censor: "****" },
  },
  pino.destination({ dest: 2, sync: true }),
);

const actor = new MqttActor({ logger });
Comlink.expose(actor, nodeEndpoint(parentPort));
