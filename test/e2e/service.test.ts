/** The real entry point: first start, bad configuration, key CLI, graceful shutdown. */
import { mkdtempSync, readFileSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import * as http from "node:http";
import { request } from "node:http";
import { test } from "uvu";
import * as assert from "uvu/assert";
import { KEYS_CLI, MAIN, runCli, spawnService } from "../helpers/process.js";

const dirs: string[] = [];
const tempDir = () => {
  const d = mkdtempSync(join(tmpdir(), "argus-e2e-"));
  dirs.push(d);
  return d;
};
test.after(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));

test("first start: admin key written to a 0600 file, its path logged, the key never logged; SIGTERM exits 0", async () => {
  const DATA_DIR = tempDir();
  const svc = await spawnService({ DATA_DIR });
  const keyFile = join(DATA_DIR, "admin-api-key");
  const token = readFileSync(keyFile, "utf8").trim();
  assert.is(statSync(keyFile).mode & 0o777, 0o600);
  assert.ok(svc.output().includes(keyFile), "the file's path is logged");
  assert.not.ok(svc.output().includes(token), "the key itself is never logged");

  const res = await fetch(`${svc.url}/api/v1/cameras`, { headers: { Authorization: `Bearer ${token}` } });
  assert.is(res.status, 200);
  assert.is((await fetch(`${svc.url}/api/v1/cameras`)).status, 401);

  // An idle keep-alive connection must not hold the shutdown open.
  await new Promise<void>((resolve) => {
    const u = new URL(svc.url);
    const req = request({ host: u.hostname, port: u.port, path: "/api/v1/health", agent: new http.Agent({ keepAlive: true }) }, (r) => {
      r.resume();
      r.on("end", () => resolve());
    });
    req.end();
  });
  const started = Date.now();
  svc.child.kill("SIGTERM");
  assert.is(await svc.exited, 0);
  assert.ok(Date.now() - started < 5000, "shutdown took too long");
  assert.match(svc.output(), '"msg":"stopped"');

  // A second start reuses the key and creates no new one.
  const again = await spawnService({ DATA_DIR });
  assert.is(readFileSync(keyFile, "utf8").trim(), token);
  assert.is((await fetch(`${again.url}/api/v1/cameras`, { headers: { "X-API-Key": token } })).status, 200);
  again.child.kill("SIGINT");
  assert.is(await again.exited, 0);
});

test("a bad configuration stops the start with a message naming the variable", async () => {
  const DATA_DIR = tempDir();
  const r = await runCli(MAIN, [], { DATA_DIR, DEBUG_ENDPOINTS_ENABLED: "sometimes", PORT: "0" });
  assert.is(r.code, 2);
  assert.match(r.stderr, "DEBUG_ENDPOINTS_ENABLED");
  assert.not.ok(statSafe(join(DATA_DIR, "argus-bridge.db")), "nothing was created");
});

test("keys CLI: create (shown once), list, revoke", async () => {
  const DATA_DIR = tempDir();
  const created = await runCli(KEYS_CLI, ["create", "--name", "dashboard", "--scope", "read,write"], { DATA_DIR });
  assert.is(created.code, 0, created.stderr);
  const token = /key:\s+(\S+)/.exec(created.stdout)![1]!;
  const id = /id:\s+(\S+)/.exec(created.stdout)![1]!;
  const list = await runCli(KEYS_CLI, ["list"], { DATA_DIR });
  assert.match(list.stdout, id);
  assert.match(list.stdout, "read,write");
  assert.not.ok(list.stdout.includes(token), "list never shows a token");

  const svc = await spawnService({ DATA_DIR });
  assert.is((await fetch(`${svc.url}/api/v1/cameras`, { headers: { Authorization: `Bearer ${token}` } })).status, 200);
  assert.is((await runCli(KEYS_CLI, ["revoke", id], { DATA_DIR })).code, 0);
  assert.is((await fetch(`${svc.url}/api/v1/cameras`, { headers: { Authorization: `Bearer ${token}` } })).status, 401);
  svc.child.kill("SIGTERM");
  await svc.exited;

  const bad = await runCli(KEYS_CLI, ["create", "--name", "x", "--scope", "root"], { DATA_DIR });
  assert.is(bad.code, 2);
  assert.match(bad.stderr, "unknown scope");
});

function statSafe(p: string) {
  try {
    return statSync(p);
  } catch {
    return undefined;
  }
}

test.run();
