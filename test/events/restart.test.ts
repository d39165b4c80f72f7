/**
 * The service process SIGKILLed with undelivered entries (broker down the whole time): after the
 * restart, with the broker up, the outbox drains and every event reaches a subscriber; the
 * retained state reflects the store (counts, activity), not the stale entries.
 */
import Database from "better-sqlite3";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "uvu";
import * as assert from "uvu/assert";
import { freePort, killAllMosquitto, mosquittoAvailable, startMosquitto } from "../helpers/mosquitto.js";
import { retainedSnapshot, waitUntil } from "../helpers/mqtt-probe.js";
import { spawnService, type ServiceProcess } from "../helpers/process.js";
import { EventCollector } from "./rig.js";

const HAVE = mosquittoAvailable();
/** Reported as skipped, not passed, where mosquitto is missing. */
const mqttTest = HAVE ? test : test.skip;
const dataDir = mkdtempSync(join(tmpdir(), "argus-ev-restart-"));
const procs: ServiceProcess[] = [];
let collector: EventCollector | undefined;

test.after(async () => {
  await collector?.close();
  for (const p of procs) if (p.child.exitCode === null) p.child.kill("SIGKILL");
  await killAllMosquitto();
  rmSync(dataDir, { recursive: true, force: true });
});

mqttTest("kill -9 with undelivered entries: delivered after the restart", async () => {
  const port = await freePort();
  const env = { DATA_DIR: dataDir, MQTT_URL: `mqtt://127.0.0.1:${port}`, TIME_ZONE: "UTC", ACTIVITY_TIMEOUT_S: "2" };
  const first = await spawnService(env);
  procs.push(first);
  const key = readFileSync(join(dataDir, "admin-api-key"), "utf8").trim();
  const call = (path: string, body?: unknown) =>
    fetch(first.url + path, { method: body ? "POST" : "GET", headers: { Authorization: `Bearer ${key}`, "Content-Type": "application/json" }, body: body ? JSON.stringify(body) : undefined });
  const cam = (await (await call("/api/v1/cameras", { name: "Crash", type: "rtsp" })).json()) as { id: string };
  const ids: string[] = [];
  for (let i = 0; i < 50; i++) {
    const res = await call("/api/v1/events", { camera_id: cam.id, confidence: 70, description: `before crash ${i}` });
    assert.is(res.status, 201);
    ids.push(((await res.json()) as { id: string }).id);
  }
  const db = new Database(join(dataDir, "argus-bridge.db"), { readonly: true });
  const pending = (db.prepare("SELECT COUNT(*) AS n FROM outbox WHERE kind = 'event_bundle'").get() as { n: number }).n;
  db.close();
  assert.is(pending, 50, "all 50 events wait in the outbox");
  first.child.kill("SIGKILL");
  await first.exited;

  await startMosquitto({ port });
  collector = await EventCollector.connect(`mqtt://127.0.0.1:${port}`);
  const started = Date.now();
  const second = await spawnService(env);
  procs.push(second);
  await waitUntil(() => collector!.missing(ids).length === 0, 20_000, "every event after the restart");
  console.log(`[restart] 50 leftover events delivered ${Date.now() - started} ms after the restart began`);
  // Activity ON is stale by now (>2 s): the restart restated it from the store after the leftovers.
  await waitUntil(async () => {
    const snap = await retainedSnapshot(`mqtt://127.0.0.1:${port}`, [`liveobject/camera/${cam.id}/#`], 150);
    const a = snap.get(`liveobject/camera/${cam.id}/activity`);
    const c = snap.get(`liveobject/camera/${cam.id}/counts`);
    const st = snap.get(`liveobject/camera/${cam.id}/status`); // sent by the reconcile, after the retained-config collection
    return a !== undefined && JSON.parse(a).state === "OFF" && c !== undefined && JSON.parse(c).events_today === 50 && st !== undefined;
  }, 10_000, "retained activity OFF, counts 50 and a status");
  const snap = await retainedSnapshot(`mqtt://127.0.0.1:${port}`, [`liveobject/camera/${cam.id}/#`], 150);
  assert.is(JSON.parse(snap.get(`liveobject/camera/${cam.id}/status`)!).status, "unavailable");
  assert.is(JSON.parse(snap.get(`liveobject/camera/${cam.id}/last_event`)!).event_id, ids.at(-1));
  second.child.kill("SIGTERM");
  assert.is(await second.exited, 0);
});

test.run();
