/** Every /api/v1 route but health needs a key; the route table itself is iterated, so no route escapes. */
import { test } from "uvu";
import * as assert from "uvu/assert";
import { digestToken } from "../../src/auth/api-keys.js";
import { startTestApp, type TestApp } from "../helpers/app.js";

let t: TestApp;
test.before(async () => {
  t = await startTestApp({ env: { DEBUG_ENDPOINTS_ENABLED: "true", DEBUG_NETWORK_TARGET: "127.0.0.1:9" } });
});
test.after(async () => t.close());

const concrete = (path: string) => path.replace(/:id\b/g, "00000000-0000-4000-8000-000000000000");

test("the route table covers the API (sanity: the iteration below is not vacuous)", () => {
  assert.ok(t.app.routes.length >= 15, `only ${t.app.routes.length} routes`);
  assert.ok(t.app.routes.some((r) => r.path.includes("/debug/")), "debug routes are mounted in this app");
});

test("every non-public route answers 401 with WWW-Authenticate to a missing, wrong or malformed key", async () => {
  for (const route of t.app.routes) {
    if (route.scope === "public") {
      assert.is(route.path, "/api/v1/health", "only health may be public (and /metrics when METRICS_PUBLIC)");
      continue;
    }
    for (const headers of [{}, { Authorization: "Bearer not-a-real-key" }, { "X-API-Key": "not-a-real-key" }, { Authorization: "Basic dXNlcjpwYXNz" }] as Record<string, string>[]) {
      const res = await t.request(concrete(route.path), { method: route.method.toUpperCase(), key: null, headers: { ...headers, "Content-Type": "application/json" }, body: route.method === "get" ? undefined : "{}" });
      assert.is(res.status, 401, `${route.method} ${route.path} with ${JSON.stringify(headers)}`);
      assert.ok(res.headers.get("www-authenticate")?.startsWith("Bearer"), `${route.path} lacks WWW-Authenticate`);
      assert.is(res.headers.get("content-type"), "application/problem+json");
    }
  }
});

test("scopes: read key can GET but not change; write cannot reach admin routes", async () => {
  const read = t.store.apiKeys.create("r", ["read"]).token;
  const write = t.store.apiKeys.create("w", ["write"]).token;
  assert.is((await t.request("/api/v1/cameras", { key: read })).status, 200);
  const post = await t.request("/api/v1/cameras", { key: read, method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify({ name: "x", type: "rtsp" }) });
  assert.is(post.status, 403);
  assert.is(t.store.cameras.list().length, 0, "a refused request changed nothing");
  assert.is((await t.request("/api/v1/cameras", { key: write })).status, 200, "write implies read");
  assert.is((await t.request("/api/v1/system/debug/ai-keys", { key: write })).status, 403);
  for (const route of t.app.routes.filter((r) => r.scope === "admin")) {
    assert.is((await t.request(concrete(route.path), { key: read })).status, 403, route.path);
  }
});

test("both header forms work; a revoked key stops working", async () => {
  const { key, token } = t.store.apiKeys.create("both", ["read"]);
  assert.is((await t.request("/api/v1/cameras", { key: null, headers: { "X-API-Key": token } })).status, 200);
  assert.is((await t.request("/api/v1/cameras", { key: null, headers: { Authorization: `bearer ${token}` } })).status, 200);
  t.store.apiKeys.revoke(key.id);
  assert.is((await t.request("/api/v1/cameras", { key: token })).status, 401);
});

test("only a SHA-256 digest of each key is stored", () => {
  const { token } = t.store.apiKeys.create("digest", ["read"]);
  const rows = t.store.db.prepare("SELECT * FROM api_keys").all() as Record<string, unknown>[];
  const dump = JSON.stringify(rows);
  assert.not.ok(dump.includes(token));
  assert.ok(dump.includes(digestToken(token).toString("hex")));
});

test("health needs no key and reports db and mqtt", async () => {
  const res = await t.request("/api/v1/health", { key: null });
  assert.is(res.status, 200);
  const body = (await res.json()) as { status: string; version: string; checks: { db: string; mqtt: string } };
  assert.is(body.checks.db, "ok");
  assert.is(body.checks.mqtt, "disabled");
  assert.is(body.status, "ok");
  assert.match(body.version, /^\d+\.\d+\.\d+/);
});

test.run();
