/** mqtts against a real mosquitto TLS listener with a CA made for the test (loopback only). */
import { spawnSync } from "node:child_process";
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "uvu";
import * as assert from "uvu/assert";
import { MqttActor } from "../../src/mqtt/actor.js";
import { killAllMosquitto, mosquittoAvailable, startMosquitto, type Mosquitto } from "../helpers/mosquitto.js";
import { FAST_OPTIONS, captureLogger, makeSettings, waitUntil } from "../helpers/mqtt-probe.js";

const HAVE = mosquittoAvailable() && spawnSync("openssl", ["version"]).status === 0;
const t = HAVE ? test : test.skip;
let dir: string;
let broker: Mosquitto;

function openssl(args: string[]): void {
  const r = spawnSync("openssl", args, { cwd: dir, encoding: "utf8" });
  if (r.status !== 0) throw new Error(`openssl ${args[0]} failed: ${r.stderr}`);
}

test.before(async () => {
  if (!HAVE) return;
  dir = mkdtempSync(join(tmpdir(), "argus-tls-"));
  chmodSync(dir, 0o755);
  openssl(["req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1", "-subj", "/CN=argus test CA", "-keyout", "ca.key", "-out", "ca.pem"]);
  openssl(["req", "-newkey", "rsa:2048", "-nodes", "-subj", "/CN=127.0.0.1", "-keyout", "server.key", "-out", "server.csr"]);
  writeFileSync(join(dir, "san.ext"), "subjectAltName=IP:127.0.0.1\n");
  openssl(["x509", "-req", "-in", "server.csr", "-CA", "ca.pem", "-CAkey", "ca.key", "-CAcreateserial", "-days", "1", "-extfile", "san.ext", "-out", "server.pem"]);
  for (const f of ["ca.pem", "server.pem", "server.key"]) chmodSync(join(dir, f), 0o644);
  broker = await startMosquitto({ listenerConfig: [`cafile ${join(dir, "ca.pem")}`, `certfile ${join(dir, "server.pem")}`, `keyfile ${join(dir, "server.key")}`] });
});
test.after(async () => {
  if (!HAVE) return;
  await killAllMosquitto();
  rmSync(dir, { recursive: true, force: true });
});

async function connectWith(over: Parameters<typeof makeSettings>[1]) {
  const log = captureLogger();
  const actor = new MqttActor({ logger: log.logger });
  await actor.start({ settings: makeSettings(broker.port, { use_tls: true, ...over }), cameras: [], state: [], app_version: "t", instance_id: "tls-test" }, () => undefined);
  return { actor, log };
}

t("mqtts with the CA file: connected over TLS", async () => {
  const { actor } = await connectWith({ tls_ca_file: join(dir, "ca.pem") });
  try {
    await waitUntil(async () => (await actor.status()).connected, 8000, "TLS connect");
    const s = await actor.status();
    assert.is(s.broker, `mqtts://127.0.0.1:${broker.port}`);
  } finally {
    await actor.stop();
  }
});

t("an untrusted certificate is refused by default, and reported", async () => {
  const { actor } = await connectWith({});
  try {
    await waitUntil(async () => (await actor.status()).last_error !== null, 8000, "an error");
    const s = await actor.status();
    assert.is(s.connected, false);
    assert.match(s.last_error!, /certificate|self[- ]signed|issuer/i);
  } finally {
    await actor.stop();
  }
});

t("tls_reject_unauthorized=false accepts it (for self-signed test brokers)", async () => {
  const { actor } = await connectWith({ tls_reject_unauthorized: false });
  try {
    await waitUntil(async () => (await actor.status()).connected, 8000, "TLS connect without verification");
  } finally {
    await actor.stop();
  }
});

test.run();
