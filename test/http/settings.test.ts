/** System settings: write-only AI keys, sealed at rest, masked echo ignored, key rotation. */
import { randomBytes } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "uvu";
import * as assert from "uvu/assert";
import { startTestApp } from "../helpers/app.js";

const put = (body: unknown) => ({ method: "PUT", headers: { "Content-Type": "application/json" }, body: JSON.stringify(body) });
const OPENAI = "sk-test-4f9a8b7c6d5e4f3a2b1c";

test("keys are masked on GET and sealed with AES-GCM in the raw row", async () => {
  const t = await startTestApp();
  try {
    const res = await t.request("/api/v1/system/settings", put({ ai_api_key_openai: OPENAI }));
    assert.is(res.status, 200);
    const view = (await res.json()) as Record<string, unknown>;
    assert.is(view.ai_api_key_openai, "****2b1c");
    assert.is(view.ai_api_key_grok, null);
    const row = t.store.db.prepare("SELECT * FROM settings WHERE key LIKE '%openai%'").get() as { value: string | null; ciphertext: string; key_id: string };
    assert.is(row.value, null);
    assert.not.ok(row.ciphertext.includes(OPENAI));
    assert.not.ok(row.ciphertext.includes(Buffer.from(OPENAI).toString("base64").slice(0, 12)));
    assert.match(row.ciphertext, /^v1\.[0-9a-f]{16}\.[A-Za-z0-9_-]{16}\./, "envelope carries version, key id and a 12-byte IV");
    // A fresh IV per value: sealing the same plaintext twice differs.
    await t.request("/api/v1/system/settings", put({ ai_api_key_openai: OPENAI }));
    const again = t.store.db.prepare("SELECT ciphertext FROM settings WHERE key LIKE '%openai%'").get() as { ciphertext: string };
    assert.is.not(again.ciphertext, row.ciphertext);
    const providers = (await (await t.request("/api/v1/system/ai-providers")).json()) as { providers: { provider: string; configured: boolean }[] };
    assert.equal(providers.providers.find((p) => p.provider === "openai"), { provider: "openai", configured: true });
  } finally {
    await t.close();
  }
});

test("a masked echo and an empty string change nothing; null removes", async () => {
  const t = await startTestApp();
  try {
    await t.request("/api/v1/system/settings", put({ ai_api_key_openai: OPENAI }));
    const before = t.store.db.prepare("SELECT ciphertext FROM settings WHERE key LIKE '%openai%'").get();
    await t.request("/api/v1/system/settings", put({ ai_api_key_openai: "****2b1c" }));
    await t.request("/api/v1/system/settings", put({ ai_api_key_openai: "" }));
    assert.equal(t.store.db.prepare("SELECT ciphertext FROM settings WHERE key LIKE '%openai%'").get(), before);
    assert.is(t.app.services.systemSettings.view().ai_api_key_openai, "****2b1c");
    await t.request("/api/v1/system/settings", put({ ai_api_key_openai: null }));
    assert.is(t.app.services.systemSettings.view().ai_api_key_openai, null);
  } finally {
    await t.close();
  }
});

test("invalid settings change nothing at all (no half-written update)", async () => {
  const t = await startTestApp();
  try {
    const res = await t.request("/api/v1/system/settings", put({ ai_api_key_openai: OPENAI, ai_provider_order: ["openai", "openai"] }));
    assert.is(res.status, 422);
    const p = (await res.json()) as { errors: { field: string }[] };
    assert.equal(p.errors.map((e) => e.field), ["ai_provider_order"]);
    assert.is(t.app.services.systemSettings.view().ai_api_key_openai, null);
  } finally {
    await t.close();
  }
});

test("rotation: ENCRYPTION_KEY_PREVIOUS opens old values, which are re-sealed with the new key", async () => {
  const dataDir = mkdtempSync(join(tmpdir(), "argus-rot-"));
  const oldKey = randomBytes(32).toString("base64");
  const newKey = randomBytes(32).toString("base64");
  try {
    const a = await startTestApp({ dataDir, env: { ENCRYPTION_KEY: oldKey } });
    await a.request("/api/v1/system/settings", put({ ai_api_key_google: "AIza-rotation-test-9876" }));
    const oldRow = a.store.db.prepare("SELECT key_id FROM settings WHERE key LIKE '%google%'").get() as { key_id: string };
    await a.close();

    const b = await startTestApp({ dataDir, env: { ENCRYPTION_KEY: newKey, ENCRYPTION_KEY_PREVIOUS: oldKey } });
    const row = b.store.db.prepare("SELECT key_id FROM settings WHERE key LIKE '%google%'").get() as { key_id: string };
    assert.is.not(row.key_id, oldRow.key_id, "re-sealed under the new key at start-up");
    assert.is(b.store.settings.getSecret("secret.ai_api_key.google"), "AIza-rotation-test-9876");
    await b.close();

    // The old key is no longer needed.
    const c = await startTestApp({ dataDir, env: { ENCRYPTION_KEY: newKey } });
    assert.is(c.app.services.systemSettings.view().ai_api_key_google, "****9876");
    await c.close();
  } finally {
    rmSync(dataDir, { recursive: true, force: true });
  }
});

test("a generated key file is 0600 and reused across starts", async () => {
  const dataDir = mkdtempSync(join(tmpdir(), "argus-key-"));
  try {
    const a = await startTestApp({ dataDir });
    await a.request("/api/v1/system/settings", put({ ai_api_key_grok: "xai-persist-1234" }));
    await a.close();
    const { statSync } = await import("node:fs");
    assert.is(statSync(join(dataDir, "encryption.key")).mode & 0o777, 0o600);
    const b = await startTestApp({ dataDir });
    assert.is(b.app.services.systemSettings.view().ai_api_key_grok, "****1234");
    await b.close();
  } finally {
    rmSync(dataDir, { recursive: true, force: true });
  }
});

test.run();
