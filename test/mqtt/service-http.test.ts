/**
 * The whole service (startService: store, worker-thread MQTT actor, HTTP API) against a real
 * mosquitto: what an API consumer does over HTTP is what Home Assistant sees over MQTT.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "uvu";
import * as assert from "uvu/assert";
import { loadConfig } from "../../src/config/config.js";
import { startService, type RunningService } from "../../src/service.js";
import { captureLog } from "../helpers/app.js";
import { freePort, killAllMosquitto, mosquittoAvailable, startMosquitto, type Mosquitto } from "../helpers/mosquitto.js";
import { MqttProbe, retainedSnapshot, waitUntil } from "../helpers/mqtt-probe.js";

const HAVE = mosquittoAvailable();
const API_KEY = "ab_integration-test-admin-key-000000000000";
const t = HAVE ? test : test.skip;

let broker: Mosquitto;
let svc: RunningService;
let probe: MqttProbe;
let dataDir: string;
let logLines: string[];

const call = async (path: string, init: { method?: string; body?: unknown } = {}) => {
  const res = await fetch(svc.server.url + path, {
    method: init.method ?? "GET",
    headers: { Authorization: `Bearer ${API_KEY}`, ...(init.body !== undefined ? { "Content-Type": "application/json" } : {}) },
    body: init.body !== undefined ? JSON.stringify(init.body) : undefined,
  });
  const text = await res.text();
  return { status: res.status, body: text ? (JSON.parse(text) as Record<string, any>) : null };
};
const ourConfigs = async () => [...(await retainedSnapshot(broker.url, ["homeassistant/#"])).entries()].filter(([, p]) => p !== "");
const mqttStatus = async () => (await call("/api/v1/integrations/mqtt/status")).body!;

test.before(async () => {
  if (!HAVE) return;
  try {
    await setUp();
  } catch (err) {
    // uvu reports a failed hook without its reason: print it.
    console.error("set-up failed:", err);
    throw err;
  }
});

async function setUp(): Promise<void> {
  broker = await startMosquitto();
  dataDir = mkdtempSync(join(tmpdir(), "argus-svc-"));
  const config = loadConfig(
    { DATA_DIR: dataDir, PORT: "0", API_KEY, MQTT_URL: `mqtt://127.0.0.1:${broker.port}`, MQTT_USERNAME: "bridge", MQTT_PASSWORD: "seeded-secret-pw", EMBEDDED_BROKER: "false", HA_BIRTH_DELAY_MAX_MS: "0", LOG_LEVEL: "debug" },
    { dotEnvPath: null },
  );
  const captured = captureLog();
  logLines = captured.lines;
  svc = await startService(config, captured.log);
  probe = await MqttProbe.connect(broker.url, ["homeassistant/#", "liveobject/#"]);
  await waitUntil(async () => (await mqttStatus()).connected === true, 10_000, "connected");
}

test.after(async () => {
  if (!HAVE) return;
  await probe?.close();
  await svc?.close();
  await killAllMosquitto();
  rmSync(dataDir, { recursive: true, force: true });
});

t("status: connected over MQTT 5 to the seeded broker; the seeded password is write-only", async () => {
  const s = await mqttStatus();
  assert.is(s.state, "connected");
  assert.is(s.protocol, "5.0");
  assert.is(s.broker, `mqtt://127.0.0.1:${broker.port}`);
  const cfg = (await call("/api/v1/integrations/mqtt/config")).body!;
  assert.is(cfg.has_password, true);
  assert.not.ok(JSON.stringify(cfg).includes("seeded-secret-pw"));
  assert.is(cfg.embedded_broker, false);
  const workers = (await call("/api/v1/system/workers")).body!;
  assert.is(workers.mqtt.health.state, "connected");
  assert.type(workers.mqtt.health.event_loop_delay_p99_ms, "number");
});

t("creating a camera publishes its six configs at once; rename keeps unique_ids; disable and delete clear them", async () => {
  probe.clear();
  const created = await call("/api/v1/cameras", { method: "POST", body: { name: "Porch", type: "rtsp" } });
  assert.is(created.status, 201);
  const id = created.body!.id as string;
  await probe.waitFor((m) => m.filter((x) => x.topic.includes(`liveobject_${id}_`) && x.payload !== "").length >= 6, 5000, "six configs");
  let configs = (await ourConfigs()).filter(([topic]) => topic.includes(id));
  assert.is(configs.length, 6);
  const uniqueIds = configs.map(([, p]) => JSON.parse(p).unique_id).sort();
  assert.equal(uniqueIds, ["activity", "event", "events_today", "events_week", "last_event", "status"].map((k) => `liveobject_${id}_${k}`).sort());

  await call(`/api/v1/cameras/${id}`, { method: "PATCH", body: { name: "Back Porch" } });
  await waitUntil(async () => (await ourConfigs()).some(([topic, p]) => topic.includes(id) && JSON.parse(p).device.name === "Back Porch"), 5000, "renamed device");
  configs = (await ourConfigs()).filter(([topic]) => topic.includes(id));
  assert.equal(configs.map(([, p]) => JSON.parse(p).unique_id).sort(), uniqueIds, "a rename keeps every unique_id");
  assert.ok(configs.every(([, p]) => JSON.parse(p).device.name === "Back Porch"));

  await call(`/api/v1/cameras/${id}`, { method: "PATCH", body: { is_enabled: false } });
  await waitUntil(async () => (await ourConfigs()).every(([topic]) => !topic.includes(id)), 5000, "disabled camera cleared");
  await call(`/api/v1/cameras/${id}`, { method: "PATCH", body: { is_enabled: true } });
  await waitUntil(async () => (await ourConfigs()).filter(([topic]) => topic.includes(id)).length === 6, 5000, "re-enabled camera back");

  assert.is((await call(`/api/v1/cameras/${id}`, { method: "DELETE" })).status, 204);
  await waitUntil(async () => (await ourConfigs()).every(([topic]) => !topic.includes(id)), 5000, "deleted camera cleared");
});

t("discovery off clears every config we own; publish-discovery then answers 400; on republishes", async () => {
  const a = (await call("/api/v1/cameras", { method: "POST", body: { name: "A", type: "usb" } })).body!.id as string;
  await waitUntil(async () => (await ourConfigs()).filter(([topic]) => topic.includes(a)).length === 6, 5000, "camera A published");
  // A config that belongs to someone else must survive.
  await probe.publish("homeassistant/sensor/other_app_sensor/config", JSON.stringify({ name: "x", unique_id: "other", state_topic: "other/x", availability_topic: "other/status" }), true);

  const off = await call("/api/v1/integrations/mqtt/config", { method: "PUT", body: { broker_host: "127.0.0.1", broker_port: broker.port, discovery_enabled: false } });
  assert.is(off.status, 200);
  await waitUntil(async () => (await ourConfigs()).every(([topic]) => !topic.includes("liveobject_")), 8000, "all of ours cleared");
  assert.ok((await ourConfigs()).some(([topic]) => topic === "homeassistant/sensor/other_app_sensor/config"), "a foreign config was left alone");
  await waitUntil(async () => (await mqttStatus()).connected === true, 8000, "reconnected");
  assert.is((await call("/api/v1/integrations/mqtt/publish-discovery", { method: "POST" })).status, 400);

  await call("/api/v1/integrations/mqtt/config", { method: "PUT", body: { broker_host: "127.0.0.1", broker_port: broker.port, discovery_enabled: true } });
  await waitUntil(async () => (await ourConfigs()).filter(([topic]) => topic.includes(a)).length === 6, 8000, "republished");
  await waitUntil(async () => (await mqttStatus()).connected === true, 8000, "connected");
  const pub = await call("/api/v1/integrations/mqtt/publish-discovery", { method: "POST" });
  assert.is(pub.status, 200);
  assert.is(pub.body!.cameras_published, 1);
  await probe.publish("homeassistant/sensor/other_app_sensor/config", "", true);
});

t("test-message and connection test; the password never appears in answers or logs", async () => {
  probe.clear();
  const before = (await mqttStatus()).messages_published as number;
  const r = await call("/api/v1/integrations/mqtt/test-message", { method: "POST" });
  assert.is(r.status, 200);
  assert.is(r.body!.topic, "liveobject/test");
  await probe.waitFor((m) => m.some((x) => x.topic === "liveobject/test"), 3000, "test message");
  const msg = JSON.parse(probe.on("liveobject/test")[0]!.payload);
  assert.is(msg.event_type, "test");
  assert.ok((await mqttStatus()).messages_published > before, "the test message was counted");

  const ok = await call("/api/v1/integrations/mqtt/test", { method: "POST", body: { broker_host: "127.0.0.1", broker_port: broker.port, username: "probe", password: "hunter2-not-logged" } });
  assert.is(ok.body!.success, true);
  const closedPort = await freePort();
  const bad = await call("/api/v1/integrations/mqtt/test", { method: "POST", body: { broker_host: "127.0.0.1", broker_port: closedPort, username: "probe", password: "hunter2-not-logged" } });
  assert.is(bad.status, 200);
  assert.is(bad.body!.success, false);
  assert.not.ok(JSON.stringify([ok.body, bad.body]).includes("hunter2"));
  assert.not.ok(logLines.some((l) => l.includes("hunter2") || l.includes("seeded-secret-pw")), "no password in any log line");
  const cfg = (await call("/api/v1/integrations/mqtt/config")).body!;
  assert.is(cfg.broker_port, broker.port, "a connection test saves nothing");
});

t("broker down: health degraded (still 200), publish routes 503; broker back: ok and everything republished", async () => {
  const cam = (await call("/api/v1/cameras", { method: "POST", body: { name: "Restart", type: "rtsp" } })).body!.id as string;
  await waitUntil(async () => (await ourConfigs()).filter(([topic]) => topic.includes(cam)).length === 6, 5000, "published");
  await probe.close();
  await broker.kill();
  await waitUntil(async () => (await mqttStatus()).connected === false, 5000, "disconnected");
  const health = await fetch(svc.server.url + "/api/v1/health");
  assert.is(health.status, 200);
  assert.is(((await health.json()) as { status: string }).status, "degraded");
  assert.is((await call("/api/v1/integrations/mqtt/test-message", { method: "POST" })).status, 503);
  assert.is((await call("/api/v1/integrations/mqtt/publish-discovery", { method: "POST" })).status, 503);

  await broker.restart(); // persistence is off: the broker forgot every retained message
  await waitUntil(async () => (await mqttStatus()).connected === true, 20_000, "reconnected");
  await waitUntil(async () => (await ourConfigs()).filter(([topic]) => topic.includes(cam)).length === 6, 8000, "republished after broker restart");
  const avail = await retainedSnapshot(broker.url, ["liveobject/status"]);
  assert.is(avail.get("liveobject/status"), "online");
  const after = await fetch(svc.server.url + "/api/v1/health");
  assert.is(((await after.json()) as { status: string }).status, "ok");
  probe = await MqttProbe.connect(broker.url, ["homeassistant/#", "liveobject/#"]);
});

test.run();
