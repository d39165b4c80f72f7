/** OpenAPI 3.1 and a Swagger UI whose assets come from this service (renders offline). */
import { test } from "uvu";
import * as assert from "uvu/assert";
import { startTestApp, type TestApp } from "../helpers/app.js";

let t: TestApp;
test.before(async () => {
  t = await startTestApp();
});
test.after(async () => t.close());

test("openapi.json lists every visible route with its schemas", async () => {
  const spec = (await (await t.request("/openapi.json", { key: null })).json()) as { openapi: string; paths: Record<string, Record<string, { requestBody?: unknown; responses: Record<string, unknown> }>> };
  assert.is(spec.openapi, "3.1.0");
  for (const route of t.app.routes.filter((r) => !r.hidden)) {
    const path = route.path.replace(/:(\w+)/g, "{$1}");
    assert.ok(spec.paths[path]?.[route.method], `${route.method} ${path} missing`);
    if (route.body) assert.ok(spec.paths[path]![route.method]!.requestBody, `${path} has no request body schema`);
  }
  const create = spec.paths["/api/v1/cameras"]!.post!.requestBody as { content: { "application/json": { schema: { properties: Record<string, unknown>; additionalProperties: boolean } } } };
  assert.ok(create.content["application/json"].schema.properties.name);
  assert.is(create.content["application/json"].schema.additionalProperties, false);
});

test("/docs renders from local assets only: no third-party URL, a same-origin CSP", async () => {
  const res = await t.request("/docs", { key: null });
  const html = await res.text();
  assert.match(html, "/openapi.json");
  assert.not.match(html, "fonts.googleapis", "no Google Fonts request from every home that opens the page");
  assert.not.ok(/(?:href|src)="(?:https?:)?\/\//i.test(html), "no absolute URL in href or src");
  const csp = res.headers.get("content-security-policy") ?? "";
  assert.match(csp, "default-src 'self'");
  assert.not.match(csp, "http");
  const scripts = [...html.matchAll(/<script src="([^"]+)"/g)].map((m) => m[1]!);
  const styles = [...html.matchAll(/<link [^>]*href="([^"]+)"/g)].map((m) => m[1]!).filter((h) => !h.endsWith(".png"));
  assert.ok(scripts.length >= 2);
  for (const asset of [...scripts, ...styles]) {
    assert.ok(asset.startsWith("/docs/assets/"), `${asset} is not served locally`);
    const res = await t.request(asset, { key: null });
    assert.is(res.status, 200, asset);
    assert.ok((await res.arrayBuffer()).byteLength > 1000, `${asset} is empty`);
  }
});

test.run();
