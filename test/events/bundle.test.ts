/**
 * Schema v3's one-row-per-event outbox, without a broker: the v2 -> v3 upgrade keeps waiting rows
 * (old kinds still delivered, ids and the AUTOINCREMENT mark kept), the pump expands a bundle into
 * its four messages in order and deletes the row only when all were acknowledged, expiry by id
 * order, and the in-memory counts cache.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "uvu";
import * as assert from "uvu/assert";
import { zonedClock } from "../../src/ha/time.js";
import type { Log } from "../../src/log.js";
import type { DeliveryResult, MqttActorApi, OutboundMessage } from "../../src/mqtt/contract.js";
import { CountsCache } from "../../src/services/counts.js";
import { ID_STRIDE, OutboxPump, toOutbound, type DeliverySettings } from "../../src/services/outbox-pump.js";
import { openDatabase, schemaVersion, type Db } from "../../src/store/database.js";
import { EventsRepo } from "../../src/store/events-repo.js";
import { MIGRATIONS } from "../../src/store/migrations.js";
import { OutboxRepo, type BundleParts } from "../../src/store/outbox-repo.js";
import type { Store } from "../../src/store/store.js";

const dir = mkdtempSync(join(tmpdir(), "argus-bundle-"));
test.after(() => rmSync(dir, { recursive: true, force: true }));

const SETTINGS: DeliverySettings = { topic_prefix: "p", qos: 0, retain_messages: false, message_expiry_seconds: 60 };
const silent = { warn() {}, debug() {}, error() {}, info() {} } as unknown as Log;

function addCamera(db: Db, id: string): void {
  const now = new Date().toISOString();
  db.prepare("INSERT INTO cameras (id, name, type, source_type, created_at, updated_at) VALUES (?, ?, 'rtsp', 'rtsp', ?, ?)").run(id, id, now, now);
}

function bundle(cam: string, n: number): { camera_id: string; kind: "event_bundle"; event_id: string; payload: string } {
  const parts: BundleParts = { event: `{"e":${n}}`, last_event: `{"l":${n}}`, counts: `{"c":${n}}`, activity: `{"a":${n}}` };
  return { camera_id: cam, kind: "event_bundle", event_id: `ev-${n}`, payload: JSON.stringify(parts) };
}

/** An actor that acknowledges at most `budget` messages per call (then fails the batch). */
function fakeActor(): MqttActorApi & { sent: OutboundMessage[]; budget: number } {
  const a = {
    sent: [] as OutboundMessage[],
    budget: Infinity,
    status: () => new Promise(() => undefined), // the pump stays on its optimistic "connected"
    deliver: async (messages: OutboundMessage[]): Promise<DeliveryResult> => {
      const ok = messages.slice(0, a.budget);
      a.sent.push(...ok);
      return { delivered: ok.map((m) => m.id), error: ok.length < messages.length ? "broker went away" : null };
    },
  };
  return a as unknown as MqttActorApi & { sent: OutboundMessage[]; budget: number };
}

function pumpOver(db: Db, mqtt: MqttActorApi): { pump: OutboxPump; outbox: OutboxRepo } {
  const outbox = new OutboxRepo(db);
  const store = { db, outbox } as unknown as Store;
  const pump = new OutboxPump({ store, mqtt, log: silent, settings: () => SETTINGS, maxAgeS: 3600, maxEntries: 1000, safetyRetryMs: 60_000 });
  return { pump, outbox };
}

test("v2 -> v3: waiting rows of the old kinds survive with their ids and are still delivered", async () => {
  const file = join(dir, "upgrade.db");
  const v2 = openDatabase(file, MIGRATIONS.filter((m) => m.version <= 2));
  addCamera(v2, "cam");
  const ins = v2.prepare("INSERT INTO outbox (camera_id, kind, event_id, payload, created_at) VALUES ('cam', ?, ?, ?, ?)");
  for (let i = 0; i < 3; i++) ins.run("counts", null, `{"old":${i}}`, Date.now()); // ids 1-3, deleted below
  v2.prepare("DELETE FROM outbox").run();
  for (const kind of ["event", "last_event", "counts", "activity"]) ins.run(kind, "old-ev", `{"${kind}":1}`, Date.now());
  v2.close();

  const db = openDatabase(file);
  assert.is(schemaVersion(db), 3);
  const rows = db.prepare("SELECT id, kind FROM outbox ORDER BY id").all() as Array<{ id: number; kind: string }>;
  assert.equal(rows, [{ id: 4, kind: "event" }, { id: 5, kind: "last_event" }, { id: 6, kind: "counts" }, { id: 7, kind: "activity" }]);
  const indexes = (db.prepare("SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = 'outbox' AND name NOT LIKE 'sqlite_%'").all() as Array<{ name: string }>).map((r) => r.name);
  assert.equal(indexes, ["outbox_camera"]);

  const actor = fakeActor();
  const { pump, outbox } = pumpOver(db, actor);
  outbox.add([bundle("cam", 1)]);
  const next = db.prepare("SELECT MAX(id) AS id FROM outbox").get() as { id: number };
  assert.is(next.id, 8, "ids continue after the v2 high-water mark");
  pump.start();
  await pump.idle();
  assert.equal(actor.sent.map((m) => m.topic), ["p/camera/cam/event", "p/camera/cam/last_event", "p/camera/cam/counts", "p/camera/cam/activity", "p/camera/cam/event", "p/camera/cam/last_event", "p/camera/cam/counts", "p/camera/cam/activity"]);
  assert.is(outbox.size(), 0);
  // Camera deletion still cascades into the rebuilt table.
  outbox.add([bundle("cam", 2)]);
  db.prepare("DELETE FROM cameras WHERE id = 'cam'").run();
  assert.is(outbox.size(), 0);
  pump.stop();
  db.close();
});

test("a bundle expands into event, last_event, counts, activity with today's QoS/retain/remember", () => {
  const e = { id: 5, camera_id: "c1", kind: "event_bundle" as const, event_id: "x", payload: bundle("c1", 7).payload, created_at: 0 };
  const ms = toOutbound(e, SETTINGS);
  assert.equal(ms.map((m) => [m.id, m.topic, m.payload, m.qos, m.retain, m.expiry_seconds, m.remember]), [
    [5 * ID_STRIDE, "p/camera/c1/event", '{"e":7}', 0, false, 60, false],
    [5 * ID_STRIDE + 1, "p/camera/c1/last_event", '{"l":7}', 1, true, null, true],
    [5 * ID_STRIDE + 2, "p/camera/c1/counts", '{"c":7}', 1, true, null, true],
    [5 * ID_STRIDE + 3, "p/camera/c1/activity", '{"a":7}', 1, true, null, true],
  ]);
  assert.equal(toOutbound(e, SETTINGS, 2).map((m) => m.topic), ["p/camera/c1/counts", "p/camera/c1/activity"]);
});

test("partial acknowledgement keeps the row; the rest is sent next time; the row goes when all are acked", async () => {
  const db = openDatabase(join(dir, "partial.db"));
  addCamera(db, "cam");
  const actor = fakeActor();
  const { pump, outbox } = pumpOver(db, actor);
  const done: string[] = [];
  pump.onDelivered = (rows) => void done.push(...rows.map((r) => r.event_id ?? "-"));
  outbox.add([bundle("cam", 1), bundle("cam", 2)]);
  actor.budget = 6; // all of event 1, event + last_event of event 2
  pump.start();
  await pump.idle();
  assert.is(outbox.size(), 1, "the partly acknowledged bundle stays");
  assert.equal(done, ["ev-1"]);
  actor.budget = Infinity;
  actor.sent.length = 0;
  // What a reconnect does (the failed batch marked the pump disconnected).
  (pump as unknown as { connected: boolean }).connected = true;
  pump.wake();
  await pump.idle();
  assert.equal(actor.sent.map((m) => m.payload), ['{"c":2}', '{"a":2}'], "only the parts not yet acknowledged");
  assert.is(outbox.size(), 0);
  assert.equal(done, ["ev-1", "ev-2"]);
  pump.stop();
  db.close();
});

test("expiry by id order and overflow count rows", () => {
  const db = openDatabase(join(dir, "bounds.db"));
  addCamera(db, "cam");
  const outbox = new OutboxRepo(db);
  outbox.add([bundle("cam", 1), bundle("cam", 2)], 1000);
  outbox.add([bundle("cam", 3)], 2000);
  outbox.add([bundle("cam", 4), bundle("cam", 5)], 3000);
  assert.is(outbox.oldestCreatedAt(), 1000);
  assert.equal(outbox.enforceBounds(1500, 100), { expired: 2, overflow: 0 });
  assert.equal(outbox.enforceBounds(0, 2), { expired: 0, overflow: 1 });
  assert.equal(outbox.pending(10).map((e) => e.event_id), ["ev-4", "ev-5"]);
  assert.equal(outbox.enforceBounds(5000, 100), { expired: 2, overflow: 0 });
  assert.is(outbox.oldestCreatedAt(), null);
  db.close();
});

test("counts cache: seeded from the store, advanced only by commit, reset by a new day", () => {
  const db = openDatabase(join(dir, "counts.db"));
  addCamera(db, "cam");
  const events = new EventsRepo(db);
  const store = { db, events } as unknown as Store;
  const clock = zonedClock("UTC");
  const cache = new CountsCache(store, clock);
  const now = new Date("2026-03-04T12:00:00Z"); // a Wednesday
  const insert = (iso: string) =>
    events.insert({ id: iso + Math.random(), camera_id: "cam", description: "", objects_detected: [], confidence: 1, timestamp: iso, created_at: iso }, Date.parse(iso));
  insert("2026-03-02T10:00:00Z"); // Monday: week only
  insert("2026-03-04T10:00:00Z"); // today
  // Rolled back: the cache is not advanced.
  try {
    db.transaction(() => {
      insert("2026-03-04T11:00:00Z");
      assert.equal(cache.next("cam", Date.parse("2026-03-04T11:00:00Z"), now), { today: 2, week: 3 });
      throw new Error("rollback");
    })();
  } catch {
    /* expected */
  }
  let c = db.transaction(() => {
    insert("2026-03-04T11:30:00Z");
    return cache.next("cam", Date.parse("2026-03-04T11:30:00Z"), now);
  })();
  assert.equal(c, { today: 2, week: 3 }, "seeded from the store (the rolled-back row is not there)");
  cache.commit("cam", c, now);
  c = db.transaction(() => {
    insert("2026-02-20T00:00:00Z"); // older than the week: counts nothing
    return cache.next("cam", Date.parse("2026-02-20T00:00:00Z"), now);
  })();
  assert.equal(c, { today: 2, week: 3 });
  cache.commit("cam", c, now);
  c = cache.next("cam", Date.parse("2026-03-04T11:59:00Z"), now); // from the cache, without a row
  assert.equal(c, { today: 3, week: 4 });
  const tomorrow = new Date("2026-03-05T08:00:00Z");
  assert.equal(cache.next("cam", Date.parse("2026-03-05T07:00:00Z"), tomorrow), { today: 0, week: 3 }, "new day: read from the store");
  db.close();
});

test.run();
