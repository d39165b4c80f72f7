/**
 * The counts refresh: "all" (every 5 minutes) restates every camera; "changed" (every connect)
 * queues only cameras whose counts moved since they were last queued, so a reconnect of a large
 * installation does not put one counts message per camera through the main thread again.
 */
import { randomUUID } from "node:crypto";
import { test } from "uvu";
import * as assert from "uvu/assert";
import { startTestApp } from "../helpers/app.js";
import { createCamera, postEvent } from "./rig.js";

test("changed-only refresh queues exactly the cameras whose counts moved; all restates every camera", async () => {
  const t = await startTestApp();
  try {
    const a = await createCamera(t);
    const b = await createCamera(t);
    assert.is((await postEvent(t, { camera_id: a.id, description: "a1", confidence: 50 })).status, 201);
    const countsRows = () =>
      (t.store.db.prepare("SELECT camera_id, payload FROM outbox WHERE kind = 'counts' ORDER BY id").all() as Array<{ camera_id: string; payload: string }>).map((r) => ({
        camera: r.camera_id,
        today: (JSON.parse(r.payload) as { events_today: number }).events_today,
      }));

    await t.app.services.events.refreshCounts("all");
    assert.equal(countsRows().map((r) => r.camera).sort(), [a.id, b.id].sort(), "all: one row per camera");

    await t.app.services.events.refreshCounts("changed");
    assert.is(countsRows().length, 2, "nothing moved: nothing queued (and the queued rows stay)");

    // An event written behind the in-memory counts' back (another process, a restore): B moved.
    const now = new Date();
    t.store.events.insert({ id: randomUUID(), camera_id: b.id, description: "", objects_detected: [], confidence: 1, timestamp: now.toISOString(), created_at: now.toISOString() }, now.getTime());
    await t.app.services.events.refreshCounts("changed");
    const rows = countsRows();
    assert.is(rows.length, 3);
    assert.equal(rows[2], { camera: b.id, today: 1 }, "only B, with its new count");

    await t.app.services.events.refreshCounts("all");
    assert.equal(countsRows().map((r) => r.camera).sort(), [a.id, b.id].sort(), "all supersedes the queued counts rows");
  } finally {
    t.app.stop();
    await t.close();
  }
});

test.run();
