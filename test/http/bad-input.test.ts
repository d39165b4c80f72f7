/** Bad input: a clear 4xx problem naming the field, nothing written, never a 500. */
import { request as httpRequest } from "node:http";
import { test } from "uvu";
import * as assert from "uvu/assert";
import { startTestApp, type TestApp } from "../helpers/app.js";

let t: TestApp;
test.before(async () => {
  t = await startTestApp();
});
test.after(async () => t.close());

async function send(path: string, method: string, body: string, contentType = "application/json") {
  const res = await t.request(path, { method, headers: { "Content-Type": contentType }, body });
  const text = await res.text();
  return { status: res.status, type: res.headers.get("content-type"), problem: text ? (JSON.parse(text) as { title: string; detail: string; status: number; type: string; errors?: { field: string; message: string }[] }) : null };
}

const camerasBefore = () => t.store.cameras.list().length;

test("invalid JSON -> 400 problem", async () => {
  const r = await send("/api/v1/cameras", "POST", '{"name": "a",');
  assert.is(r.status, 400);
  assert.is(r.type, "application/problem+json");
  assert.match(r.problem!.detail, "not valid JSON");
});

test("wrong content type -> 415", async () => {
  const r = await send("/api/v1/cameras", "POST", "name=a&type=rtsp", "application/x-www-form-urlencoded");
  assert.is(r.status, 415);
});

test("body over 1 MiB -> 413, streamed (also without Content-Length)", async () => {
  const big = JSON.stringify({ name: "x".repeat(1024 * 1024 + 10), type: "rtsp" });
  assert.is((await send("/api/v1/cameras", "POST", big)).status, 413);
  const status = await new Promise<number>((resolve, reject) => {
    const url = new URL(t.url + "/api/v1/cameras");
    const req = httpRequest({ host: url.hostname, port: url.port, path: url.pathname, method: "POST", headers: { "Content-Type": "application/json", Authorization: `Bearer ${t.adminKey}`, "Transfer-Encoding": "chunked" } }, (res) => {
      res.resume();
      resolve(res.statusCode ?? 0);
    });
    req.on("error", reject);
    for (let i = 0; i < 20; i++) req.write("x".repeat(64 * 1024));
    req.end();
  });
  assert.is(status, 413);
  assert.is(camerasBefore(), 0);
});

test("unknown fields, wrong types and out-of-range values name each field", async () => {
  const r = await send("/api/v1/cameras", "POST", JSON.stringify({ name: "Porch", type: "webcam", is_doorbell: "yes", admin: true }));
  assert.is(r.status, 422);
  const fields = r.problem!.errors!.map((e) => e.field).sort();
  assert.equal(fields, ["admin", "is_doorbell", "type"]);
  const port = await send("/api/v1/integrations/mqtt/config", "PUT", JSON.stringify({ broker_host: "127.0.0.1", broker_port: 70000, qos: 3 }));
  assert.is(port.status, 422);
  assert.equal(port.problem!.errors!.map((e) => e.field).sort(), ["broker_port", "qos"]);
  assert.is(t.app.services.mqttConfig.view().broker_port, 1883, "nothing half-written");
  const lonePassword = await send("/api/v1/integrations/mqtt/config", "PUT", JSON.stringify({ broker_host: "127.0.0.1", password: "pw" }));
  assert.is(lonePassword.status, 422);
  assert.equal(lonePassword.problem!.errors!.map((e) => e.field), ["password"]);
  assert.is(t.app.services.mqttConfig.view().has_password, false);
});

test("names: empty, too long, control characters, unpaired surrogates", async () => {
  for (const name of ["", "   ", "a".repeat(101), "bad\u0000name", "line\nbreak", "half\ud800surrogate"]) {
    const r = await send("/api/v1/cameras", "POST", JSON.stringify({ name, type: "rtsp" }));
    assert.is(r.status, 422, JSON.stringify(name));
    assert.is(r.problem!.errors![0]!.field, "name");
  }
  const ok = await send("/api/v1/cameras", "POST", JSON.stringify({ name: "Cafe\u0301 🚪 Tür", type: "rtsp" }));
  assert.is(ok.status, 201, "combining marks and emoji are fine");
  assert.is(camerasBefore(), 1);
});

test("malformed ids -> 422 naming id; unknown well-formed id -> 404", async () => {
  for (const id of ["not-a-uuid", "1%20OR%201=1", "..%2F..%2Fetc", "%F0%9F%92%A9"]) {
    const res = await t.request(`/api/v1/cameras/${id}`);
    assert.is(res.status, 422, id);
    const p = (await res.json()) as { errors: { field: string }[] };
    assert.is(p.errors[0]!.field, "id");
  }
  assert.is((await t.request("/api/v1/cameras/6f1c1b1e-8d5a-4c39-9f0e-2a1b3c4d5e6f")).status, 404);
});

test("deeply nested JSON -> 400, not a stack overflow", async () => {
  const deep = "[".repeat(5000) + "]".repeat(5000);
  const r = await send("/api/v1/cameras", "POST", deep);
  assert.is(r.status, 400);
});

test("wrong method on a known route -> 405 problem with Allow", async () => {
  const res = await t.request("/api/v1/health", { method: "DELETE" });
  assert.is(res.status, 405);
  assert.is(res.headers.get("content-type"), "application/problem+json");
  assert.ok(res.headers.get("allow")?.includes("GET"));
});

test("an unexpected error is a 500 problem with a request id; the stack is logged, not sent", async () => {
  const original = t.app.services.cameras.list;
  t.app.services.cameras.list = () => {
    throw new Error("boom: internal detail /secret/path");
  };
  try {
    const res = await t.request("/api/v1/cameras");
    assert.is(res.status, 500);
    const body = await res.text();
    assert.not.ok(body.includes("boom") || body.includes("/secret/path"));
    const p = JSON.parse(body) as { request_id: string };
    assert.is(p.request_id, res.headers.get("x-request-id"));
    assert.ok(t.logLines.some((l) => l.includes("boom") && l.includes(p.request_id)), "the error and its request id are logged");
  } finally {
    t.app.services.cameras.list = original;
  }
});

test.run();
