import { readFileSync } from "node:fs";
import { test } from "uvu";
import * as assert from "uvu/assert";
import { ConfigError, loadConfig, parseDotEnv } from "../src/config/config.js";
import { envSchema } from "../src/config/env-schema.js";

const load = (env: Record<string, string>) => loadConfig(env, { dotEnvPath: null });
const problemsOf = (env: Record<string, string>) => {
  try {
    load(env);
  } catch (err) {
    if (err instanceof ConfigError) return err.problems;
    throw err;
  }
  return [];
};

test("defaults", () => {
  const c = load({});
  assert.is(c.HOST, "127.0.0.1");
  assert.is(c.PORT, 8080);
  assert.is(c.DEBUG_ENDPOINTS_ENABLED, false);
  assert.is(c.DEBUG_NETWORK_TARGET, undefined);
  assert.is(c.LOG_LEVEL, "info");
  assert.is(c.apiBaseUrl, "http://127.0.0.1:8080");
});

test("booleans accept true/false/1/0/yes/no in any case", () => {
  for (const [raw, want] of [["true", true], ["TRUE", true], ["Yes", true], ["1", true], ["false", false], ["No", false], ["0", false]] as const) {
    assert.is(load({ DEBUG_ENDPOINTS_ENABLED: raw }).DEBUG_ENDPOINTS_ENABLED, want, raw);
  }
});

test("a bad value names the variable (and never echoes a secret)", () => {
  assert.equal(problemsOf({ DEBUG_ENDPOINTS_ENABLED: "maybe" }).map((p) => p.variable), ["DEBUG_ENDPOINTS_ENABLED"]);
  assert.equal(problemsOf({ PORT: "80a" }).map((p) => p.variable), ["PORT"]);
  assert.equal(problemsOf({ DEBUG_NETWORK_TARGET: "no-port" }).map((p) => p.variable), ["DEBUG_NETWORK_TARGET"]);
  assert.equal(problemsOf({ TIME_ZONE: "Mars/Olympus" }).map((p) => p.variable), ["TIME_ZONE"]);
  const key = problemsOf({ ENCRYPTION_KEY: "c2hvcnQta2V5LXRoYXQtaXMtc2VjcmV0" });
  assert.equal(key.map((p) => p.variable), ["ENCRYPTION_KEY"]);
  assert.not.ok(key[0]!.message.includes("c2hvcnQta2V5"), "the key material is not echoed");
  const many = problemsOf({ PORT: "-1", LOG_LEVEL: "loud" }).map((p) => p.variable).sort();
  assert.equal(many, ["LOG_LEVEL", "PORT"]);
});

test("MQTT_PASSWORD without MQTT_USERNAME is refused, naming MQTT_PASSWORD", () => {
  assert.equal(problemsOf({ MQTT_URL: "mqtt://127.0.0.1:1883", MQTT_PASSWORD: "pw" }).map((p) => p.variable), ["MQTT_PASSWORD"]);
  assert.equal(problemsOf({ MQTT_URL: "mqtt://127.0.0.1:1883", MQTT_USERNAME: "u", MQTT_PASSWORD: "pw" }), []);
});

test("DEBUG_NETWORK_TARGET parses host:port", () => {
  assert.equal(load({ DEBUG_NETWORK_TARGET: "127.0.0.1:7441" }).DEBUG_NETWORK_TARGET, { host: "127.0.0.1", port: 7441 });
  assert.equal(load({ DEBUG_NETWORK_TARGET: "[::1]:80" }).DEBUG_NETWORK_TARGET, { host: "::1", port: 80 });
});

test("dotenv parsing: comments, quotes, export", () => {
  assert.equal(parseDotEnv('# c\nA=1\nexport B="two words"\nC=x # trailing\nD=\'q\'\n\nbad line'), { A: "1", B: "two words", C: "x", D: "q" });
});

test(".env.example documents every variable, with DEBUG_ENDPOINTS_ENABLED=false and a security warning", () => {
  const text = readFileSync(new URL("../../.env.example", import.meta.url), "utf8");
  const documented = new Set([...text.matchAll(/^([A-Z_][A-Z0-9_]*)=/gm)].map((m) => m[1]));
  for (const name of Object.keys(envSchema.shape)) assert.ok(documented.has(name), `${name} is not in .env.example`);
  for (const name of documented) assert.ok(name! in envSchema.shape, `${name} in .env.example is not read by the service`);
  assert.match(text, /^DEBUG_ENDPOINTS_ENABLED=false$/m);
  const before = text.slice(0, text.indexOf("DEBUG_ENDPOINTS_ENABLED=false"));
  assert.match(before.slice(-600), /SECURITY WARNING/);
  // Every default written in the example is the default the parser applies.
  const parsedDefaults = load({});
  for (const m of text.matchAll(/^([A-Z_][A-Z0-9_]*)=(.+)$/gm)) {
    const fromExample = load({ [m[1]!]: m[2]! }) as unknown as Record<string, unknown>;
    assert.equal(fromExample[m[1]!], (parsedDefaults as unknown as Record<string, unknown>)[m[1]!], `${m[1]} default differs from .env.example`);
  }
});

test.run();
