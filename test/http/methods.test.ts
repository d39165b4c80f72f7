import { test } from "uvu";
import * as assert from "uvu/assert";
import { startTestApp, type TestApp } from "../helpers/app.js";

let t: TestApp;
test.before(async () => {
  t = await startTestApp();
});
test.after(async () => t.close());

test("an unknown method on a known path is a 405 problem with Allow, never a 5xx", async () => {
  for (const method of ["PROPFIND", "PURGE", "LINK"]) {
    const res = await t.request("/api/v1/cameras", { method });
    assert.is(res.status, 405, method);
    assert.is(res.headers.get("content-type"), "application/problem+json");
    assert.match(res.headers.get("allow") ?? "", "GET");
  }
});

test("an unknown method on an unknown path is the plain 404", async () => {
  const res = await t.request("/api/v1/nowhere", { method: "PROPFIND" });
  assert.is(res.status, 404);
});

test.run();
