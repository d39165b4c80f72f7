/**
 * What Home Assistant receives for events, against the real app and a real mosquitto: the event
 * payload field by field, the order of the four messages, activity ON then OFF, counts across a
 * midnight and a week boundary, status, bad input (nothing stored, nothing published), delete.
 */
import { test } from "uvu";
import * as assert from "uvu/assert";
import { killAllMosquitto, mosquittoAvailable, startMosquitto, type Mosquitto } from "../helpers/mosquitto.js";
import { MqttProbe, retainedSnapshot, waitUntil } from "../helpers/mqtt-probe.js";
import { json } from "../helpers/app.js";
import type { OutboxEntry } from "../../src/store/outbox-repo.js";
import { createCamera, postEvent, sleep, startEventRig, type EventRig } from "./rig.js";

const HAVE = mosquittoAvailable();
/** Reported as skipped, not passed, where mosquitto is missing. */
const mqttTest = HAVE ? test : test.skip;
const TZ = "Asia/Kolkata"; // +05:30 all year: expected values below are computed by hand, not with the code under test
const OFFSET_MS = 5.5 * 3_600_000;
const DAY = 86_400_000;

let broker: Mosquitto;
let rig: EventRig;
let probe: MqttProbe;

test.before(async () => {
  if (!HAVE) return;
  broker = await startMosquitto();
  rig = await startEventRig(broker.port, { TIME_ZONE: TZ, ACTIVITY_TIMEOUT_S: "1" });
  probe = await MqttProbe.connect(broker.url, ["liveobject/camera/#"]);
  await waitUntil(async () => (await rig.actor.status()).connected, 5000, "actor connected");
});

test.after(async () => {
  if (!HAVE) return;
  await probe?.close();
  await rig?.close();
  await killAllMosquitto();
});

const payloads = (topic: string) => probe.on(topic).map((m) => JSON.parse(m.payload) as Record<string, unknown>);
const OFFSET_RE = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}\+05:30$/;

mqttTest("event payload, field by field, then last_event, counts, activity ON in that order", async () => {
  const cam = await createCamera(rig.t, { name: "Porch", type: "protect", is_doorbell: true });
  const base = `liveobject/camera/${cam.id}`;
  probe.clear();
  const res = await postEvent(rig.t, {
    camera_id: cam.id,
    description: "  Courier at the door with a parcel  ",
    objects_detected: ["person", "package"],
    confidence: 91,
    timestamp: "2026-01-15T08:00:00.250Z",
    smart_detection_type: "person",
    is_doorbell_ring: true,
    provider_used: "openai",
    delivery_carrier: "dhl",
    delivery_carrier_display: "DHL",
    ai_confidence: null,
  });
  assert.is(res.status, 201);
  const stored = (await res.json()) as Record<string, unknown>;
  assert.is(res.headers.get("location"), `/api/v1/events/${stored.id}`);
  await probe.waitFor((m) => m.some((x) => x.topic === `${base}/activity` && x.payload.includes('"ON"')), 5000, "activity ON");

  const [ev] = payloads(`${base}/event`);
  assert.ok(ev, "event received");
  assert.equal(Object.keys(ev!), [
    "event_id", "camera_id", "camera_name", "description", "objects_detected", "confidence", "source_type", "timestamp", "thumbnail_url",
    "smart_detection_type", "is_doorbell_ring", "provider_used", "delivery_carrier", "delivery_carrier_display",
  ]);
  assert.is(ev!.event_id, stored.id);
  assert.is(ev!.camera_id, cam.id);
  assert.is(ev!.camera_name, "Porch");
  assert.is(ev!.description, "Courier at the door with a parcel", "trimmed on input");
  assert.equal(ev!.objects_detected, ["person", "package"]);
  assert.is(ev!.confidence, 91);
  assert.is(ev!.source_type, "protect");
  assert.is(ev!.timestamp, "2026-01-15T13:30:00.250+05:30", "ISO 8601 with the TIME_ZONE offset");
  assert.is(ev!.thumbnail_url, `http://bridge.test:8080/api/v1/events/${stored.id}/thumbnail`);
  assert.is(ev!.smart_detection_type, "person");
  assert.is(ev!.is_doorbell_ring, true);
  assert.is(ev!.provider_used, "openai");
  assert.is(ev!.delivery_carrier_display, "DHL");
  assert.not.ok("ai_confidence" in ev!, "a null optional field is absent");
  assert.not.ok("low_confidence" in ev!, "an unset optional field is absent");
  const evMsg = probe.on(`${base}/event`)[0]!;
  assert.is(evMsg.retain, false, "a live subscriber gets it as a fresh publish");

  const le = payloads(`${base}/last_event`).at(-1)!;
  assert.equal(le, { camera_id: cam.id, camera_name: "Porch", event_id: stored.id, timestamp: "2026-01-15T13:30:00.250+05:30", description_snippet: "Courier at the door with a parcel", smart_detection_type: "person" });
  const counts = payloads(`${base}/counts`).at(-1)!;
  assert.equal(Object.keys(counts), ["camera_id", "camera_name", "events_today", "events_this_week", "last_updated"]);
  assert.match(String(counts.last_updated), OFFSET_RE);
  const act = payloads(`${base}/activity`).at(-1)!;
  assert.equal(act, { camera_id: cam.id, state: "ON", last_event_at: "2026-01-15T13:30:00.250+05:30" });

  // Order on the wire: event, last_event, counts, activity (ignoring the camera's creation defaults).
  const order = probe.messages.filter((m) => m.topic.startsWith(base) && m.at >= evMsg.at).map((m) => m.topic.slice(base.length + 1));
  assert.equal(order.slice(0, 4), ["event", "last_event", "counts", "activity"]);

  // What a fresh subscriber (Home Assistant after a restart) sees retained.
  const snap = await retainedSnapshot(broker.url, [`${base}/#`]);
  assert.is(JSON.parse(snap.get(`${base}/event`)!).event_id, stored.id, "event retained (retain_messages=true)");
  assert.ok(snap.has(`${base}/status`), "status retained from the camera's creation");
  assert.is(JSON.parse(snap.get(`${base}/status`)!).status, "unavailable", "default before any report");
});

mqttTest("activity turns ON with an event and OFF after ACTIVITY_TIMEOUT_S=1 without one; a second event re-arms it", async () => {
  const cam = await createCamera(rig.t, { name: "Yard", type: "rtsp", is_doorbell: false });
  const topic = `liveobject/camera/${cam.id}/activity`;
  await probe.waitFor((m) => m.some((x) => x.topic === topic), 3000, "initial activity");
  assert.is(JSON.parse(probe.on(topic).at(-1)!.payload).state, "OFF", "a new camera starts OFF");
  probe.clear();
  const t0 = Date.now();
  assert.is((await postEvent(rig.t, { camera_id: cam.id, confidence: 50 })).status, 201);
  await sleep(500);
  assert.is((await postEvent(rig.t, { camera_id: cam.id, confidence: 60 })).status, 201);
  await probe.waitFor((m) => m.some((x) => x.topic === topic && x.payload.includes('"OFF"')), 4000, "activity OFF");
  const offAt = probe.on(topic).find((x) => x.payload.includes('"OFF"'))!.at;
  const states = probe.on(topic).map((m) => JSON.parse(m.payload).state);
  assert.equal(states, ["ON", "ON", "OFF"]);
  assert.ok(offAt - t0 >= 1400, `OFF came ${offAt - t0} ms after the first event: the second event must re-arm the timer`);
  assert.ok(offAt - t0 < 3000, `OFF came late (${offAt - t0} ms)`);
  const off = JSON.parse(probe.on(topic).at(-1)!.payload);
  assert.match(off.last_event_at, OFFSET_RE, "OFF still names the last event time");
  const snap = await retainedSnapshot(broker.url, [topic]);
  assert.is(JSON.parse(snap.get(topic)!).state, "OFF", "retained state is OFF");
});

mqttTest("counts over MQTT across the local midnight and the Monday 00:00 boundary (Asia/Kolkata)", async () => {
  const cam = await createCamera(rig.t, { name: "Drive", type: "usb", is_doorbell: false });
  const topic = `liveobject/camera/${cam.id}/counts`;
  // Local midnight and Monday computed by hand for a fixed +05:30 zone.
  const now = Date.now();
  const localNow = now + OFFSET_MS;
  const midnight = Math.floor(localNow / DAY) * DAY - OFFSET_MS;
  const weekday = new Date(Math.floor(localNow / DAY) * DAY).getUTCDay(); // 0 = Sunday
  const monday = midnight - ((weekday + 6) % 7) * DAY;
  const stamps = [monday - 1, monday, midnight - 1, midnight, now - 1];
  const expectToday = stamps.filter((s) => s >= midnight).length;
  const expectWeek = stamps.filter((s) => s >= monday).length;
  assert.is(expectToday, 2);
  assert.ok(expectWeek === 3 || expectWeek === 4);
  for (const s of stamps) assert.is((await postEvent(rig.t, { camera_id: cam.id, confidence: 10, timestamp: new Date(s).toISOString() })).status, 201);
  await probe.waitFor((m) => m.filter((x) => x.topic === topic).length >= 6, 5000, "counts after 5 events");
  const last = JSON.parse(probe.on(topic).at(-1)!.payload);
  assert.is(last.events_today, expectToday);
  assert.is(last.events_this_week, expectWeek);
});

mqttTest("status: reported state is mapped and published retained; unknown camera 404; bad state 422", async () => {
  const cam = await createCamera(rig.t, { name: "Garage", type: "rtsp", is_doorbell: false });
  const topic = `liveobject/camera/${cam.id}/status`;
  for (const [state, status] of [["starting", "online"], ["connected", "online"], ["disconnected", "offline"], ["error", "unavailable"], ["stopped", "unavailable"]] as const) {
    const res = await rig.t.request(`/api/v1/cameras/${cam.id}/status`, json({ state }));
    assert.is(res.status, 200);
    const body = (await res.json()) as { status: string; updated_at: string };
    assert.is(body.status, status);
    await probe.waitFor((m) => m.some((x) => x.topic === topic && JSON.parse(x.payload).status === status && x.at > 0), 3000, `status ${status}`);
  }
  const snap = await retainedSnapshot(broker.url, [topic]);
  const retained = JSON.parse(snap.get(topic)!);
  assert.is(retained.status, "unavailable");
  assert.is(retained.camera_name, "Garage");
  assert.is(retained.source_type, "rtsp");
  assert.match(retained.last_updated, OFFSET_RE);
  assert.is((await rig.t.request(`/api/v1/cameras/00000000-0000-4000-8000-000000000000/status`, json({ state: "connected" }))).status, 404);
  const bad = await rig.t.request(`/api/v1/cameras/${cam.id}/status`, json({ state: "online" }));
  assert.is(bad.status, 422);
  assert.is(bad.headers.get("content-type"), "application/problem+json");
});

mqttTest("bad event input: problem+json naming the field, nothing stored, nothing published; 404 and 409", async () => {
  const cam = await createCamera(rig.t, { name: "Side", type: "rtsp", is_doorbell: false });
  await sleep(300);
  const before = rig.t.store.events.count();
  // Every outbox entry written from here on, delivered or still pending (other cameras' timers may
  // write OFF entries meanwhile: only entries caused by an event carry an event_id).
  const seqBefore = (rig.t.store.db.prepare("SELECT seq FROM sqlite_sequence WHERE name = 'outbox'").get() as { seq: number }).seq;
  const delivered: OutboxEntry[] = [];
  rig.t.app.services.events.pump.onDelivered = (entries) => void delivered.push(...entries);
  const eventEntries = () => [...delivered, ...rig.t.store.outbox.pending(100_000)].filter((e) => e.id > seqBefore && e.event_id !== null);
  probe.clear();
  const cases: Array<[Record<string, unknown>, string]> = [
    [{ camera_id: cam.id, confidence: 101 }, "confidence"],
    [{ camera_id: cam.id, confidence: 12.5 }, "confidence"],
    [{ camera_id: cam.id }, "confidence"],
    [{ camera_id: "cam-1", confidence: 5 }, "camera_id"],
    [{ camera_id: cam.id, confidence: 5, timestamp: "2026-01-01T10:00:00" }, "timestamp"],
    [{ camera_id: cam.id, confidence: 5, objects_detected: "person" }, "objects_detected"],
    [{ camera_id: cam.id, confidence: 5, description: "a\u0000b" }, "description"],
    [{ camera_id: cam.id, confidence: 5, surprise: 1 }, "surprise"],
    [{ camera_id: cam.id, confidence: 5, is_doorbell_ring: "yes" }, "is_doorbell_ring"],
  ];
  for (const [body, field] of cases) {
    const res = await postEvent(rig.t, body);
    assert.is(res.status, 422, JSON.stringify(body));
    assert.is(res.headers.get("content-type"), "application/problem+json");
    const problem = (await res.json()) as { errors?: Array<{ field: string }> };
    assert.ok(problem.errors?.some((e) => e.field === field), `${field} named in ${JSON.stringify(problem)}`);
  }
  const notJson = await rig.t.request("/api/v1/events", { method: "POST", headers: { "Content-Type": "application/json" }, body: "{" });
  assert.is(notJson.status, 400);
  const unknown = await postEvent(rig.t, { camera_id: "00000000-0000-4000-8000-000000000000", confidence: 5 });
  assert.is(unknown.status, 404);
  assert.is(unknown.headers.get("content-type"), "application/problem+json");
  assert.equal(eventEntries(), [], "nothing queued");
  const disabled = await createCamera(rig.t, { name: "Off", type: "rtsp", is_doorbell: false, is_enabled: false });
  await sleep(200);
  probe.clear();
  const conflict = await postEvent(rig.t, { camera_id: disabled.id, confidence: 5 });
  assert.is(conflict.status, 409);
  const readOnly = rig.t.store.apiKeys.create("reader", ["read"]).token;
  assert.is((await rig.t.request("/api/v1/events", { ...json({ camera_id: cam.id, confidence: 5 }), key: readOnly })).status, 403);
  await sleep(400);
  assert.is(rig.t.store.events.count(), before, "nothing stored");
  assert.equal(eventEntries(), [], "nothing queued for the 409 or the 403");
  rig.t.app.services.events.pump.onDelivered = null;
  assert.equal(probe.messages.filter((m) => m.topic.endsWith("/event")).map((m) => m.topic), [], "nothing published");
});

mqttTest("deleting a camera drops its events, outbox entries, status and retained state topics", async () => {
  const cam = await createCamera(rig.t, { name: "Temp", type: "rtsp", is_doorbell: false });
  await rig.t.request(`/api/v1/cameras/${cam.id}/status`, json({ state: "connected" }));
  assert.is((await postEvent(rig.t, { camera_id: cam.id, confidence: 5 })).status, 201);
  const base = `liveobject/camera/${cam.id}`;
  await probe.waitFor((m) => m.some((x) => x.topic === `${base}/activity` && x.payload.includes('"ON"')), 3000, "activity ON");
  const deletedAt = Date.now();
  assert.is((await rig.t.request(`/api/v1/cameras/${cam.id}`, { method: "DELETE" })).status, 204);
  assert.is((rig.t.store.db.prepare("SELECT COUNT(*) AS n FROM events WHERE camera_id = ?").get(cam.id) as { n: number }).n, 0);
  assert.is((rig.t.store.db.prepare("SELECT COUNT(*) AS n FROM outbox WHERE camera_id = ?").get(cam.id) as { n: number }).n, 0);
  assert.is((rig.t.store.db.prepare("SELECT COUNT(*) AS n FROM camera_status WHERE camera_id = ?").get(cam.id) as { n: number }).n, 0);
  await sleep(1500); // past the activity timeout: a cancelled timer must not publish OFF for a deleted camera
  const snap = await retainedSnapshot(broker.url, [`${base}/#`]);
  assert.equal([...snap.keys()], [], `retained after delete: ${[...snap.keys()].join(", ")}`);
  assert.not.ok(
    probe.on(`${base}/activity`).some((m) => m.at >= deletedAt && m.payload.includes('"OFF"')),
    "no OFF for a deleted camera",
  );
});

test.run();
