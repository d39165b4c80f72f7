import { test } from "uvu";
import * as assert from "uvu/assert";
import { startTestApp, type TestApp } from "../helpers/app.js";

let t: TestApp;
test.before(async () => {
  t = await startTestApp();
});
test.after(async () => t.close());

const body = (b: unknown, method = "POST") => ({ method, headers: { "Content-Type": "application/json" }, body: JSON.stringify(b) });

test("create, read, patch, list, delete", async () => {
  const created = await t.request("/api/v1/cameras", body({ name: " Front Door ", type: "protect", is_doorbell: true }));
  assert.is(created.status, 201);
  const cam = (await created.json()) as { id: string; name: string; source_type: string; is_enabled: boolean; is_doorbell: boolean };
  assert.is(cam.name, "Front Door", "trimmed");
  assert.is(cam.source_type, "protect", "defaults to type");
  assert.is(cam.is_enabled, true);
  assert.is(created.headers.get("location"), `/api/v1/cameras/${cam.id}`);

  const got = (await (await t.request(`/api/v1/cameras/${cam.id}`)).json()) as { name: string };
  assert.is(got.name, "Front Door");

  const patched = await t.request(`/api/v1/cameras/${cam.id}`, body({ name: "Porch", is_enabled: false }, "PATCH"));
  assert.is(patched.status, 200);
  const p = (await patched.json()) as { id: string; name: string; is_enabled: boolean; is_doorbell: boolean };
  assert.equal([p.id, p.name, p.is_enabled, p.is_doorbell], [cam.id, "Porch", false, true]);

  const empty = await t.request(`/api/v1/cameras/${cam.id}`, body({}, "PATCH"));
  assert.is(empty.status, 422);

  const list = (await (await t.request("/api/v1/cameras")).json()) as { cameras: { id: string }[] };
  assert.equal(list.cameras.map((c) => c.id), [cam.id]);

  assert.is((await t.request(`/api/v1/cameras/${cam.id}`, { method: "DELETE" })).status, 204);
  assert.is((await t.request(`/api/v1/cameras/${cam.id}`)).status, 404);
  assert.is((await t.request(`/api/v1/cameras/${cam.id}`, { method: "DELETE" })).status, 404);
});

test.run();
