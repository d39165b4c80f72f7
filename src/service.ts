/**
 * The composition root: builds the store, the MQTT actor and the HTTP app from configuration and
 * wires their lifecycles. main.ts runs it; end-to-end tests run it too.
 */
import { join } from "node:path";
import { appVersion, createApp, type App } from "./app.js";
import { bootstrapAdminKey } from "./auth/bootstrap.js";
import type { Config } from "./config/config.js";
import { resolveEncryptionKey } from "./crypto/key-file.js";
import { SecretBox } from "./crypto/secret-box.js";
import { listen, type RunningServer } from "./http/server.js";
import type { Log } from "./log.js";
import type { ActorStateChange } from "./mqtt/contract.js";
import { startEmbeddedBroker, type EmbeddedBroker } from "./mqtt/embedded-broker.js";
import { createMqttActor, type SupervisedMqttActor } from "./mqtt/supervisor.js";
import { initialStateMessages, StatePayloads } from "./services/camera-state.js";
import { MqttConfigService } from "./services/mqtt-config.js";
import { zonedClock } from "./ha/time.js";
import { databasePath, openStore, type Store } from "./store/store.js";

export interface RunningService {
  app: App;
  store: Store;
  mqtt: SupervisedMqttActor;
  server: RunningServer;
  broker: EmbeddedBroker | null;
  close(): Promise<void>;
}

export async function startService(config: Config, log: Log): Promise<RunningService> {
  const encryption = resolveEncryptionKey(config.dataDir, config.ENCRYPTION_KEY);
  if (encryption.source === "generated") log.warn({ path: encryption.path }, "generated a new encryption key; back it up with the data folder");
  const box = new SecretBox(encryption.key, config.ENCRYPTION_KEY_PREVIOUS);
  const store = openStore({ file: databasePath(config.dataDir), box });
  const cleanups: (() => Promise<void> | void)[] = [() => store.close()];
  const closeAll = async () => {
    for (const fn of cleanups.reverse()) {
      try {
        await fn();
      } catch (err) {
        log.error({ err }, "error during shutdown");
      }
    }
  };

  try {
    const resealed = store.settings.resealWithCurrentKey();
    if (resealed > 0) log.info({ count: resealed }, "re-sealed secrets with the current encryption key");
    bootstrapAdminKey(store.apiKeys, { dataDir: config.dataDir, fixedKey: config.API_KEY, log });

    const mqttConfig = new MqttConfigService(store, config);
    if (mqttConfig.seedFromEnv(config)) log.info("MQTT settings seeded from MQTT_URL");

    let broker: EmbeddedBroker | null = null;
    if (mqttConfig.usesEmbeddedBroker()) {
      broker = await startEmbeddedBroker({ port: config.EMBEDDED_BROKER_PORT });
      cleanups.push(() => broker!.stop());
      log.info({ url: broker.url }, "no MQTT broker configured: embedded broker started (loopback only)");
    }

    const mqtt = createMqttActor({
      mode: config.MQTT_ACTOR,
      log: log.child({ component: "mqtt-supervisor" }),
      worker_log_level: config.LOG_LEVEL,
      worker_nice: config.MQTT_WORKER_NICE,
      inline_deps: { logger: log },
    });
    cleanups.push(() => mqtt.close());
    let lastState = "";
    const logHealth = (change: ActorStateChange, reason: "interval" | "state_change") =>
      log.info({ event: "worker.health", reason, worker: "mqtt", status: { ...change.status }, health: change.health }, "worker.health");
    await mqtt.start(
      {
        settings: mqttConfig.actorSettings(),
        cameras: store.cameras.list(),
        // Every camera's status, last_event, counts and activity, so nothing reads "unknown" after a restart.
        state: initialStateMessages(store, new StatePayloads(zonedClock(config.TIME_ZONE), config.apiBaseUrl), config.ACTIVITY_TIMEOUT_S * 1000, mqttConfig.stored().topic_prefix),
        app_version: appVersion(),
        instance_id: store.meta.instanceId(),
      },
      (change) => {
        if (change.status.state !== lastState) {
          lastState = change.status.state;
          logHealth(change, "state_change");
        }
      },
    );
    const healthTimer = setInterval(() => {
      Promise.all([mqtt.status(), mqtt.health()])
        .then(([status, health]) => logHealth({ status, health }, "interval"))
        .catch((err: unknown) => log.warn({ err: String(err) }, "worker health unavailable"));
    }, config.WORKER_HEALTH_INTERVAL_MS);
    healthTimer.unref();
    cleanups.push(() => clearInterval(healthTimer));

    const app = createApp({ config, store, mqtt, log });
    cleanups.push(() => app.stop());
    const server = await listen(app.koa, config.HOST, config.PORT);
    cleanups.push(() => server.close(config.SHUTDOWN_TIMEOUT_MS));
    log.info({ url: server.url, docs: `${server.url}/docs`, data_dir: config.dataDir, admin_key_file: join(config.dataDir, "admin-api-key") }, "argus-bridge listening");

    let closing: Promise<void> | null = null;
    return { app, store, mqtt, server, broker, close: () => (closing ??= closeAll()) };
  } catch (err) {
    await closeAll();
    throw err;
  }
}
