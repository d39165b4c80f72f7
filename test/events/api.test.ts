/**
 * Events API without a broker (MQTT off): listing, filters, cursor pagination, get by id, counts
 * across a midnight and a week boundary with fixed dates in a DST zone, retention in batches, the
 * outbox bounds, and the actor's initial state after a restart.
 */
import { randomUUID } from "node:crypto";
import { test } from "uvu";
import * as assert from "uvu/assert";
import type { CameraEvent } from "../../src/domain/event.js";
import { zonedClock } from "../../src/ha/time.js";
import { initialStateMessages, StatePayloads } from "../../src/services/camera-state.js";
import { countEvents } from "../../src/services/counts.js";
import { startTestApp, type TestApp } from "../helpers/app.js";
import { createCamera, postEvent } from "./rig.js";

let t: TestApp;
test.before(async () => {
  t = await startTestApp({ env: { TIME_ZONE: "America/New_York", OUTBOX_MAX_ENTRIES: "100" } });
});
test.after(async () => {
  t.app.stop();
  await t.close();
});

function rawEvent(cameraId: string, iso: string): CameraEvent {
  return { id: randomUUID(), camera_id: cameraId, description: "", objects_detected: [], confidence: 1, timestamp: iso, created_at: iso };
}

test("POST returns the stored event; GET by id returns the same; unknown id 404; bad id 422", async () => {
  const cam = await createCamera(t);
  const res = await postEvent(t, { camera_id: cam.id, description: "hello", objects_detected: ["cat"], confidence: 40, timestamp: "2026-07-04T12:00:00+02:00", low_confidence: true });
  assert.is(res.status, 201);
  const ev = (await res.json()) as Record<string, unknown>;
  assert.is(ev.timestamp, "2026-07-04T06:00:00.000-04:00", "stored as the same instant, in TIME_ZONE");
  assert.is(ev.low_confidence, true);
  assert.is(ev.smart_detection_type, null);
  const got = await t.request(`/api/v1/events/${ev.id}`);
  assert.is(got.status, 200);
  assert.equal(await got.json(), ev);
  assert.is((await t.request(`/api/v1/events/${randomUUID()}`)).status, 404);
  assert.is((await t.request(`/api/v1/events/nope`)).status, 422);
  assert.is((await t.request(`/api/v1/events/${ev.id}`, { key: null })).status, 401);
});

test("GET /events: newest first, filters, limit bounds, cursor pages cover everything exactly once", async () => {
  const a = await createCamera(t, { name: "A" });
  const b = await createCamera(t, { name: "B" });
  const base = Date.parse("2026-03-01T00:00:00Z");
  // 25 on A, 5 on B; three share one timestamp to exercise the id tie-break.
  for (let i = 0; i < 25; i++) await postEvent(t, { camera_id: a.id, confidence: 1, timestamp: new Date(base + Math.min(i, 20) * 60_000).toISOString() });
  for (let i = 0; i < 5; i++) await postEvent(t, { camera_id: b.id, confidence: 1, timestamp: new Date(base + i * 60_000).toISOString() });

  const seen: string[] = [];
  let cursor: string | null = null;
  let pages = 0;
  do {
    const res: Response = await t.request(`/api/v1/events?camera_id=${a.id}&limit=7${cursor ? `&cursor=${cursor}` : ""}`);
    assert.is(res.status, 200);
    const page = (await res.json()) as { events: Array<{ id: string; timestamp: string; camera_id: string }>; next_cursor: string | null };
    for (const e of page.events) assert.is(e.camera_id, a.id);
    seen.push(...page.events.map((e) => e.id));
    cursor = page.next_cursor;
    pages++;
  } while (cursor && pages < 10);
  assert.is(pages, 4);
  assert.is(seen.length, 25);
  assert.is(new Set(seen).size, 25, "no duplicates across pages");
  const all = (await (await t.request(`/api/v1/events?camera_id=${a.id}&limit=500`)).json()) as { events: Array<{ id: string; timestamp: string }>; next_cursor: null };
  assert.equal(all.events.map((e) => e.id), seen, "pages concatenate to the one-shot order");
  assert.is(all.next_cursor, null);
  const ts = all.events.map((e) => Date.parse(e.timestamp));
  assert.ok(ts.every((v, i) => i === 0 || ts[i - 1]! >= v), "newest first");

  const window = (await (await t.request(`/api/v1/events?since=${encodeURIComponent(new Date(base + 60_000).toISOString())}&until=${encodeURIComponent(new Date(base + 3 * 60_000).toISOString())}&limit=500`)).json()) as { events: Array<{ timestamp: string }> };
  assert.is(window.events.length, 4, "since inclusive, until exclusive, both cameras");

  for (const q of ["limit=0", "limit=501", "limit=x", "since=yesterday", "cursor=abc", "camera_id=1", "sort=asc"]) {
    const res = await t.request(`/api/v1/events?${q}`);
    assert.is(res.status, 422, q);
    assert.is(res.headers.get("content-type"), "application/problem+json");
  }
  for (let i = 0; i < 30; i++) t.store.events.insert(rawEvent(b.id, new Date(base - i).toISOString()), base - i);
  assert.ok(t.store.events.count() > 50);
  const def = (await (await t.request(`/api/v1/events`)).json()) as { events: unknown[]; next_cursor: string | null };
  assert.is(def.events.length, 50, "default limit");
  assert.type(def.next_cursor, "string");
});

test("counts with fixed dates in America/New_York: midnight and Monday boundaries, across the DST change", () => {
  const clock = zonedClock("America/New_York");
  const cam = t.store.cameras.create({ name: "Counts", type: "rtsp" });
  // Sunday 2025-03-09 is the DST switch (02:00 EST -> 03:00 EDT). "Now" is Sunday 23:30 EDT = Mon 03:30Z.
  const now = new Date("2025-03-10T03:30:00Z");
  const put = (iso: string) => t.store.events.insert(rawEvent(cam.id, iso), Date.parse(iso));
  put("2025-03-03T04:59:59.999Z"); // Sun 2025-03-02 23:59:59.999 EST: last week
  put("2025-03-03T05:00:00.000Z"); // Mon 2025-03-03 00:00 EST: first instant of the week
  put("2025-03-09T04:59:59.999Z"); // Sat 23:59:59.999 EST: this week, not today
  put("2025-03-09T05:00:00.000Z"); // Sun 00:00 EST: first instant of today
  put("2025-03-10T03:29:00.000Z"); // Sun 23:29 EDT: today
  assert.equal(countEvents(t.store, clock, cam.id, now), { today: 2, week: 4 });
  // One minute later it is Monday 00:00:00 EDT (04:00Z): a new day and a new week.
  const monday = new Date("2025-03-10T04:00:00Z");
  put("2025-03-10T04:00:00.000Z");
  assert.equal(countEvents(t.store, clock, cam.id, monday), { today: 1, week: 1 });
  assert.equal(countEvents(t.store, clock, cam.id, new Date("2025-03-10T03:59:59.999Z")), { today: 3, week: 5 }, "one ms earlier it is still Sunday (no upper bound: an early-clock event counts)");
});

test("retention purges old events in batches and keeps recent ones", async () => {
  const cam = t.store.cameras.create({ name: "Old", type: "rtsp" });
  const old = Date.now() - 40 * 86_400_000;
  t.store.db.transaction(() => {
    for (let i = 0; i < 2500; i++) t.store.events.insert(rawEvent(cam.id, new Date(old + i).toISOString()), old + i);
  })();
  const fresh = rawEvent(cam.id, new Date().toISOString());
  t.store.events.insert(fresh, Date.now());
  const retention = t.app.services.events.retention;
  const deleted = await retention.runOnce();
  assert.ok(deleted >= 2500, `deleted ${deleted}`);
  assert.is((t.store.db.prepare("SELECT COUNT(*) AS n FROM events WHERE camera_id = ?").get(cam.id) as { n: number }).n, 1);
  assert.ok(t.store.events.get(fresh.id), "recent event kept");
  assert.ok(t.logLines.some((l) => l.includes("old events purged")));
});

test("outbox bounds: rows beyond OUTBOX_MAX_ENTRIES are dropped oldest first, counted and logged as a warning", async () => {
  const cam = await createCamera(t, { name: "Bound" });
  const pump = t.app.services.events.pump;
  // One row per event (an event bundle), so more events than the bound.
  for (let i = 0; i < 130; i++) assert.is((await postEvent(t, { camera_id: cam.id, confidence: 1 })).status, 201);
  assert.ok(t.store.outbox.size() <= 100, `outbox has ${t.store.outbox.size()}`);
  assert.ok(pump.stats().dropped_overflow > 0, "drops are counted");
  const warn = t.logLines.map((l) => JSON.parse(l) as { level: number; msg: string; overflow?: number }).filter((l) => l.msg.startsWith("outbox bound reached"));
  assert.ok(warn.length > 0 && warn.every((l) => l.level === 40), "logged as warnings");
  const newest = t.store.outbox.pending(1000).at(-1)!;
  assert.is(newest.kind, "event_bundle", "the newest entries are the ones kept");
});

test("initial state after a restart: every camera has status, counts, activity; last_event when it has events", () => {
  const payloads = new StatePayloads(zonedClock("America/New_York"), "http://x");
  const cams = t.store.cameras.list();
  const msgs = initialStateMessages(t.store, payloads, 300_000, "liveobject");
  const topics = new Set(msgs.map((m) => m.topic));
  for (const c of cams) {
    for (const k of ["status", "counts", "activity"]) assert.ok(topics.has(`liveobject/camera/${c.id}/${k}`), `${c.name} ${k}`);
    assert.is(topics.has(`liveobject/camera/${c.id}/last_event`), t.store.events.latest(c.id) !== undefined, `${c.name} last_event`);
  }
  const status = JSON.parse(msgs.find((m) => m.topic.endsWith("/status"))!.payload);
  assert.is(status.status, "unavailable");
});

test.run();
