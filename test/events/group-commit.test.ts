/**
 * GroupCommit: writes of one event-loop turn share one transaction and resolve only after it
 * committed; a failing job is rolled back alone; a failed COMMIT rejects the whole batch and
 * reports it. Also through the API: concurrent POSTs for one camera get consecutive counts.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "uvu";
import * as assert from "uvu/assert";
import { NotFoundError } from "../../src/errors.js";
import { GroupCommit } from "../../src/services/group-commit.js";
import { openDatabase, type Db } from "../../src/store/database.js";
import type { BundleParts } from "../../src/store/outbox-repo.js";
import { startTestApp } from "../helpers/app.js";
import { createCamera, postEvent } from "./rig.js";

const dir = mkdtempSync(join(tmpdir(), "argus-group-commit-"));
test.after(() => rmSync(dir, { recursive: true, force: true }));

function freshDb(name: string): Db {
  const db = openDatabase(join(dir, `${name}.db`), []);
  db.exec("CREATE TABLE t (id INTEGER PRIMARY KEY, v TEXT NOT NULL)");
  return db;
}

test("jobs of one turn share one transaction; each resolves after the COMMIT", async () => {
  const db = freshDb("shared");
  const insert = db.prepare("INSERT INTO t (v) VALUES (?)");
  const other = openDatabase(join(dir, "shared.db"), []); // a second connection sees only committed rows
  const seenByOther: number[] = [];
  const committedBatches: number[] = [];
  const gc = new GroupCommit<string, number>({
    db,
    write: (v) => {
      insert.run(v);
      seenByOther.push((other.prepare("SELECT COUNT(*) AS n FROM t").get() as { n: number }).n);
      return Number(db.prepare("SELECT COUNT(*) AS n FROM t").pluck().get());
    },
    committed: (done) => committedBatches.push(done.length),
  });
  const results = await Promise.all(["a", "b", "c", "d"].map((v) => gc.submit(v)));
  assert.equal(results, [1, 2, 3, 4], "each write sees the earlier ones of its batch");
  assert.equal(seenByOther, [0, 0, 0, 0], "nothing visible outside before the COMMIT");
  assert.equal(committedBatches, [4], "one transaction for the four");
  assert.is((other.prepare("SELECT COUNT(*) AS n FROM t").get() as { n: number }).n, 4, "all committed once resolved");
  assert.is(gc.waiting, 0);
  other.close();
  db.close();
});

test("a failing job is rolled back alone; the others commit", async () => {
  const db = freshDb("isolated");
  const insert = db.prepare("INSERT INTO t (v) VALUES (?)");
  const gc = new GroupCommit<string, string>({
    db,
    write: (v) => {
      insert.run(v);
      if (v === "bad") throw new Error("refused");
      return v;
    },
    committed: () => undefined,
  });
  const settled = await Promise.allSettled(["x", "bad", "y"].map((v) => gc.submit(v)));
  assert.equal(
    settled.map((s) => s.status),
    ["fulfilled", "rejected", "fulfilled"],
  );
  assert.equal((db.prepare("SELECT v FROM t ORDER BY id").pluck().all() as string[]), ["x", "y"], "the bad job's row is gone");
  db.close();
});

test("a failed batch rejects every job, commits nothing and calls onRollback", async () => {
  const db = freshDb("failed");
  const insert = db.prepare("INSERT INTO t (v) VALUES (?)");
  let rollbacks = 0;
  let committed = 0;
  const gc = new GroupCommit<string, string>({
    db,
    write: (v) => {
      insert.run(v);
      return v;
    },
    committed: () => (committed += 1),
    onRollback: () => (rollbacks += 1),
  });
  const pending = [gc.submit("a"), gc.submit("b")];
  db.close(); // before the flush: the batch cannot be written
  const settled = await Promise.allSettled(pending);
  assert.equal(
    settled.map((s) => s.status),
    ["rejected", "rejected"],
  );
  assert.is(rollbacks, 1);
  assert.is(committed, 0);
});

test("maxBatch splits a long queue into several transactions, in order", async () => {
  const db = freshDb("split");
  const insert = db.prepare("INSERT INTO t (v) VALUES (?)");
  const batches: string[][] = [];
  const gc = new GroupCommit<string, string>({
    db,
    write: (v) => {
      insert.run(v);
      return v;
    },
    committed: (done) => batches.push(done.map((d) => d.job)),
    maxBatch: 2,
  });
  await Promise.all(["1", "2", "3", "4", "5"].map((v) => gc.submit(v)));
  assert.equal(batches, [["1", "2"], ["3", "4"], ["5"]]);
  assert.equal(db.prepare("SELECT v FROM t ORDER BY id").pluck().all(), ["1", "2", "3", "4", "5"]);
  db.close();
});

test("concurrent POSTs for one camera: one outbox row each, consecutive counts; a camera deleted before the flush is a 404", async () => {
  const t = await startTestApp();
  try {
    const cam = await createCamera(t);
    const gone = await createCamera(t);
    const statuses = (await Promise.all(Array.from({ length: 12 }, (_, i) => postEvent(t, { camera_id: cam.id, description: `n${i}`, confidence: 50 })))).map((r) => r.status);
    assert.equal(statuses, Array(12).fill(201));
    const rows = t.store.db.prepare("SELECT payload FROM outbox WHERE camera_id = ? AND kind = 'event_bundle' ORDER BY id").pluck().all(cam.id) as string[];
    assert.is(rows.length, 12, "one outbox row per event");
    const today = rows.map((p) => (JSON.parse((JSON.parse(p) as BundleParts).counts!) as { events_today: number }).events_today);
    assert.equal(today, Array.from({ length: 12 }, (_, i) => i + 1), "each event counts the ones committed before it");

    // Accepted (the camera existed), then the camera is deleted before the group commit runs.
    const pending = t.app.services.events.createEvent({ camera_id: gone.id, description: "", objects_detected: [], confidence: 1 });
    t.store.cameras.delete(gone.id);
    const err = await pending.then(
      () => null,
      (e: unknown) => e,
    );
    assert.instance(err, NotFoundError);
    assert.is(t.store.db.prepare("SELECT COUNT(*) FROM events WHERE camera_id = ?").pluck().get(gone.id), 0, "nothing stored for it");
  } finally {
    t.app.stop();
    await t.close();
  }
});

test.run();
