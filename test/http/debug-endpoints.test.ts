/** Spec story P14-1.2: debug routes exist only when enabled, and never leak key material. */
import { createServer, type Server } from "node:net";
import { suite } from "uvu";
import * as assert from "uvu/assert";
import { startTestApp, type TestApp } from "../helpers/app.js";

const DEBUG_PATHS = ["/api/v1/system/debug/ai-keys", "/api/v1/system/debug/network"];
/** Headers whose values legitimately differ between two requests. */
const VOLATILE = new Set(["date", "x-request-id"]);

async function snapshot(res: Response) {
  const headers = [...res.headers.entries()].filter(([k]) => !VOLATILE.has(k)).sort();
  return { status: res.status, headers, headerNames: [...res.headers.keys()].sort(), body: await res.text() };
}

const disabled = suite<{ t: TestApp }>("debug endpoints disabled");
disabled.before(async (ctx) => {
  ctx.t = await startTestApp();
});
disabled.after(async (ctx) => ctx.t.close());

disabled("test_debug_endpoints_disabled_by_default: the flag defaults to false", ({ t }) => {
  assert.is(t.config.DEBUG_ENDPOINTS_ENABLED, false);
  assert.not.ok(t.app.routes.some((r) => r.path.includes("/debug/")), "no debug route is registered");
});

disabled("test_debug_endpoints_return_404: identical to an unknown route, with or without credentials", async ({ t }) => {
  const unknown = await snapshot(await t.request("/api/v1/system/debug/nothing-here", { key: null }));
  assert.is(unknown.status, 404);
  for (const path of DEBUG_PATHS) {
    for (const key of [null, t.adminKey, "wrong-key"]) {
      const got = await snapshot(await t.request(path, { key }));
      assert.equal(got, unknown, `${path} with key=${key === null ? "none" : key === t.adminKey ? "admin" : "wrong"}`);
    }
  }
  const res = await t.request(DEBUG_PATHS[0]!, { key: t.adminKey });
  assert.is(res.headers.get("content-type"), "application/problem+json");
  assert.not.ok(res.headers.has("www-authenticate"), "a 404 must not hint that auth would help");
});

disabled("test_debug_endpoints_not_in_openapi (disabled)", async ({ t }) => {
  const spec = await (await t.request("/openapi.json", { key: null })).text();
  assert.not.ok(spec.includes("/debug"), "openapi mentions a debug path");
  const docs = await (await t.request("/docs", { key: null })).text();
  assert.not.ok(docs.includes("/debug"));
});

const enabled = suite<{ t: TestApp; target: Server; targetPort: number }>("debug endpoints enabled");
enabled.before(async (ctx) => {
  ctx.target = createServer((s) => s.end());
  await new Promise<void>((r) => ctx.target.listen(0, "127.0.0.1", r));
  ctx.targetPort = (ctx.target.address() as { port: number }).port;
  ctx.t = await startTestApp({ env: { DEBUG_ENDPOINTS_ENABLED: "TRUE", DEBUG_NETWORK_TARGET: `127.0.0.1:${ctx.targetPort}` } });
});
enabled.after(async (ctx) => {
  await ctx.t.close();
  ctx.target.close();
});

enabled("test_debug_endpoints_enabled_with_env_var: 200 for an admin key, audit-logged", async ({ t, targetPort }) => {
  const keys = await t.request("/api/v1/system/debug/ai-keys");
  assert.is(keys.status, 200);
  const body = (await keys.json()) as { providers: { provider: string; configured: boolean; encrypted: boolean }[] };
  assert.equal(body.providers.map((p) => p.provider), ["openai", "anthropic", "google", "grok"]);

  const net = await t.request("/api/v1/system/debug/network");
  assert.is(net.status, 200);
  const probe = (await net.json()) as { target: string; reachable: boolean; latency_ms: number; error: null };
  assert.is(probe.target, `127.0.0.1:${targetPort}`);
  assert.is(probe.reachable, true);
  assert.type(probe.latency_ms, "number");
  assert.is(probe.error, null);

  const audits = t.logLines.map((l) => JSON.parse(l)).filter((l) => l.audit === true);
  assert.is(audits.length, 2);
  assert.ok(audits.every((a) => typeof a.key_id === "string" && typeof a.at === "string" && a.route.startsWith("/api/v1/system/debug/")));
});

enabled("enabled: non-admin keys get 403, no key gets 401", async ({ t }) => {
  const reader = t.store.apiKeys.create("reader", ["read", "write"]).token;
  assert.is((await t.request(DEBUG_PATHS[0]!, { key: reader })).status, 403);
  const anon = await t.request(DEBUG_PATHS[0]!, { key: null });
  assert.is(anon.status, 401);
  assert.ok(anon.headers.get("www-authenticate")?.startsWith("Bearer"));
});

enabled("test_debug_endpoints_not_in_openapi (enabled)", async ({ t }) => {
  const spec = await (await t.request("/openapi.json", { key: null })).text();
  assert.not.ok(spec.includes("/debug"));
  assert.ok(spec.includes("/api/v1/cameras"), "the spec does list ordinary routes");
});

enabled("unreachable target reports reachable=false with an error code", async () => {
  const closed = createServer();
  await new Promise<void>((r) => closed.listen(0, "127.0.0.1", r));
  const port = (closed.address() as { port: number }).port;
  await new Promise<void>((r) => closed.close(() => r()));
  const t2 = await startTestApp({ env: { DEBUG_ENDPOINTS_ENABLED: "1", DEBUG_NETWORK_TARGET: `127.0.0.1:${port}` } });
  try {
    const probe = (await (await t2.request("/api/v1/system/debug/network")).json()) as { reachable: boolean; error: string };
    assert.is(probe.reachable, false);
    assert.is(probe.error, "ECONNREFUSED");
  } finally {
    await t2.close();
  }
});

enabled("no target configured: 409 problem", async () => {
  const t2 = await startTestApp({ env: { DEBUG_ENDPOINTS_ENABLED: "yes" } });
  try {
    const res = await t2.request("/api/v1/system/debug/network");
    assert.is(res.status, 409);
    assert.is(res.headers.get("content-type"), "application/problem+json");
    const p = (await res.json()) as { detail: string };
    assert.match(p.detail, "DEBUG_NETWORK_TARGET");
  } finally {
    await t2.close();
  }
});

enabled("test_no_information_leakage: no 4-char run of any key and no key length in debug responses or logs", async ({ t }) => {
  const secrets = {
    ai_api_key_openai: "sk-proj-Zq8RtW3vXy7KpL2mN9bV4cD6fG1hJ5",
    ai_api_key_anthropic: "sk-ant-api03-Qw7Er9Ty2Ui4Op6As8Df",
    ai_api_key_google: "AIzaSyB3xK9mP2qR7sT4vW6yZ8aC1dE5fG0hI",
    ai_api_key_grok: "xai-Hj3Kl5Mn7Bv9Cx2Zq4Wr6Et8",
  };
  const put = await t.request("/api/v1/system/settings", { method: "PUT", headers: { "Content-Type": "application/json" }, body: JSON.stringify(secrets) });
  assert.is(put.status, 200);
  const responses: string[] = [];
  for (const path of DEBUG_PATHS) responses.push(await (await t.request(path)).text());
  const ai = JSON.parse(responses[0]!) as { providers: { configured: boolean; encrypted: boolean }[] };
  assert.ok(ai.providers.every((p) => p.configured && p.encrypted), "all four reported configured and encrypted");

  const haystacks = [...responses, ...t.logLines];
  for (const [field, key] of Object.entries(secrets)) {
    for (let i = 0; i + 4 <= key.length; i++) {
      const run = key.slice(i, i + 4);
      for (const h of haystacks) assert.not.ok(h.includes(run), `${field}: "${run}" leaked in ${h.slice(0, 200)}`);
    }
  }
  for (const r of responses) {
    const numbers = (r.match(/\d+/g) ?? []).map(Number);
    for (const key of Object.values(secrets)) {
      assert.not.ok(r.includes(`"length"`) || r.includes("prefix"), "length/prefix fields are never reported");
      // The network probe reports a port and a latency; the key report must carry no numbers at all.
      if (r === responses[0]) assert.not.ok(numbers.includes(key.length), "a key length appeared in the ai-keys report");
    }
  }
});

disabled.run();
enabled.run();
