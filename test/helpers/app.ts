/**
 * Assembles the real app on an ephemeral loopback port, with a temporary data folder, a real
 * store and a log captured line by line (so tests can assert what never reaches a log).
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Writable } from "node:stream";
import { createApp, type App } from "../../src/app.js";
import { loadConfig, type Config } from "../../src/config/config.js";
import { SecretBox } from "../../src/crypto/secret-box.js";
import { resolveEncryptionKey } from "../../src/crypto/key-file.js";
import { createLog, type Log } from "../../src/log.js";
import type { MqttActorApi } from "../../src/mqtt/contract.js";
import { databasePath, openStore, type Store } from "../../src/store/store.js";
import { listen, type RunningServer } from "../../src/http/server.js";

export interface TestApp {
  url: string;
  app: App;
  config: Config;
  store: Store;
  log: Log;
  logLines: string[];
  adminKey: string;
  dataDir: string;
  request(path: string, init?: RequestInit & { key?: string | null }): Promise<Response>;
  close(): Promise<void>;
}

export function captureLog(level = "debug"): { log: Log; lines: string[] } {
  const lines: string[] = [];
  const sink = new Writable({
    write(chunk, _enc, done) {
      lines.push(...String(chunk).split("\n").filter(Boolean));
      done();
    },
  });
  return { log: createLog({ level, destination: sink }), lines };
}

export interface StartOptions {
  env?: Record<string, string>;
  dataDir?: string;
  /** Builds the MQTT actor for this app; defaults to an inline actor with MQTT turned off. */
  mqtt?: (parts: { config: Config; store: Store; log: Log }) => Promise<MqttActorApi & { close?: () => Promise<void> }>;
}

export async function startTestApp(opts: StartOptions = {}): Promise<TestApp> {
  const dataDir = opts.dataDir ?? mkdtempSync(join(tmpdir(), "argus-test-"));
  const config = loadConfig({ DATA_DIR: dataDir, PORT: "0", HOST: "127.0.0.1", EMBEDDED_BROKER: "false", ...opts.env }, { dotEnvPath: null });
  const { log, lines } = captureLog();
  const { key } = resolveEncryptionKey(dataDir, config.ENCRYPTION_KEY);
  const box = new SecretBox(key, config.ENCRYPTION_KEY_PREVIOUS);
  const store = openStore({ file: databasePath(dataDir), box });
  store.settings.resealWithCurrentKey();
  const mqtt = await (opts.mqtt ?? defaultMqtt)({ config, store, log });
  const app = createApp({ config, store, mqtt, log });
  const server: RunningServer = await listen(app.koa, "127.0.0.1", 0);
  const adminKey = store.apiKeys.create("test admin", ["admin"]).token;

  return {
    url: server.url,
    app,
    config,
    store,
    log,
    logLines: lines,
    adminKey,
    dataDir,
    request: (path, init = {}) => {
      const { key: k, ...rest } = init;
      const headers = new Headers(rest.headers);
      const useKey = k === undefined ? adminKey : k;
      if (useKey !== null && !headers.has("Authorization")) headers.set("Authorization", `Bearer ${useKey}`);
      return fetch(server.url + path, { ...rest, headers });
    },
    close: async () => {
      await server.close(2000);
      app.stop();
      await mqtt.close?.();
      store.close();
      if (!opts.dataDir) rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

async function defaultMqtt(): Promise<MqttActorApi & { close?: () => Promise<void> }> {
  const { offlineMqtt } = await import("./offline-mqtt.js");
  return offlineMqtt();
}

export const json = (body: unknown): RequestInit => ({ method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify(body) });
