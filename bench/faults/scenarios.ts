/**
 * Fault scenarios, end to end: the real service (child process, or in-process through startService
 * where a hook is needed), a real mosquitto, a subscriber counting event deliveries by event_id.
 * Every loop is bounded in count and in time.
 */
import { Writable } from "node:stream";
import { performance } from "node:perf_hooks";
import { loadConfig } from "../../src/config/config.js";
import { createLog } from "../../src/log.js";
import { startService } from "../../src/service.js";
import { freePort, startMosquitto, type Mosquitto } from "../../test/helpers/mosquitto.js";
import { apiToken, camera, newKey, removeDir, seedCameras, sleep, tempDir, waitFor, type LoadResult } from "../lib.js";
import { authHeaders, startBenchService, type BenchService } from "../service.js";
import { acceptedIds, count5xx, eventCounter, eventStream, hasEventsRoute, healthOk, row, settle, unhandledLines, type FaultRow } from "./common.js";

export interface FaultOptions {
  quick: boolean;
  log: (s: string) => void;
}

const CAMERAS = 10;
const NA = "not available";

async function withBroker<T>(fn: (m: Mosquitto) => Promise<T>, users?: Array<{ username: string; password: string }>): Promise<T> {
  const m = await startMosquitto(users ? { users } : {});
  try {
    return await fn(m);
  } finally {
    await m.stop();
  }
}

function serviceErrors(s: BenchService): { unhandled: number; lines: string[] } {
  const lines = unhandledLines(s.svc.output());
  return { unhandled: lines.length, lines };
}

/** 1. mosquitto SIGKILLed and restarted N times under 200 events/s. */
export async function brokerKills(o: FaultOptions): Promise<FaultRow> {
  const kills = o.quick ? 5 : 20;
  return withBroker(async (mosq) => {
    const s = await startBenchService({ cameras: CAMERAS, env: { MQTT_URL: mosq.url } });
    try {
      if (!(await hasEventsRoute(s.url))) return row("broker SIGKILL+restart under 200 ev/s", 0, NA, NA, NA, 0, "no events route");
      const counter = await eventCounter(mosq.url);
      let done = false;
      const load = eventStream(s, 200, 120_000, () => done);
      for (let k = 0; k < kills; k++) {
        await sleep(1200 + Math.random() * 600);
        await mosq.killAndRestart();
      }
      await sleep(1500);
      done = true;
      const res = await load;
      const accepted = acceptedIds([res]);
      const { lost, duplicates, brokerLost } = await settle(accepted, counter, 45_000, s.dataDir);
      await counter.close();
      const err = serviceErrors(s);
      const alive = await healthOk(s);
      const errors = count5xx([res]) + res.errors + err.unhandled + (alive ? 0 : 1);
      return row("broker SIGKILL+restart under 200 ev/s", kills, accepted.size, lost, duplicates, errors, `PUBACKed then lost by the killed broker ${brokerLost}, non-201 ${res.sent - accepted.size}, 5xx ${count5xx([res])}, unhandled ${err.unhandled}`);
    } finally {
      await s.stop();
      s.cleanup();
    }
  });
}

/** 2. The MQTT worker crashed (terminated) repeatedly under load: in-process service, supervisor hook. */
export async function workerCrash(o: FaultOptions): Promise<FaultRow> {
  const crashes = o.quick ? 2 : 5;
  return withBroker(async (mosq) => {
    const dataDir = tempDir("fault-worker");
    const key = newKey();
    const token = apiToken();
    seedCameras(dataDir, key, CAMERAS);
    let logText = "";
    const sink = new Writable({
      write(chunk: Buffer, _e, cb) {
        logText += chunk.toString();
        if (logText.length > 20_000_000) logText = logText.slice(-10_000_000);
        cb();
      },
    });
    const unhandled: unknown[] = [];
    const onUnhandled = (e: unknown) => unhandled.push(e);
    process.on("unhandledRejection", onUnhandled);
    const config = loadConfig({ DATA_DIR: dataDir, ENCRYPTION_KEY: key, API_KEY: token, HOST: "127.0.0.1", PORT: "0", EMBEDDED_BROKER: "false", MQTT_URL: mosq.url, LOG_LEVEL: "warn" }, { dotEnvPath: null });
    const svc = await startService(config, createLog({ level: "warn", destination: sink }));
    try {
      const url = svc.server.url;
      if (!(await hasEventsRoute(url))) return row("MQTT worker crashed under load", 0, NA, NA, NA, 0, "no events route");
      await waitFor(async () => (await svc.mqtt.status()).connected, 20_000, "mqtt connected");
      const counter = await eventCounter(mosq.url);
      let done = false;
      const load = eventStream({ url, token }, 200, 120_000, () => done);
      for (let c = 0; c < crashes; c++) {
        await sleep(2000);
        await svc.mqtt.crashWorkerForTest();
      }
      await sleep(3000);
      done = true;
      const res = await load;
      const accepted = acceptedIds([res]);
      const { lost, duplicates, brokerLost } = await settle(accepted, counter, 45_000, dataDir);
      await counter.close();
      if (brokerLost) unhandled.push(`${brokerLost} acknowledged but unseen`);
      const restarts = svc.mqtt.restarts;
      const errors = count5xx([res]) + res.errors + unhandled.length + unhandledLines(logText).length;
      return row("MQTT worker crashed under load", crashes, accepted.size, lost, duplicates, errors, `worker restarts ${restarts}, 5xx ${count5xx([res])}, unhandled ${unhandled.length}`);
    } finally {
      process.off("unhandledRejection", onUnhandled);
      await svc.close();
      removeDir(dataDir);
    }
  });
}

/** 3. The service SIGKILLed with undelivered outbox entries (broker down), then restarted. */
export async function serviceKill(o: FaultOptions): Promise<FaultRow> {
  const runs = o.quick ? 1 : 3;
  return withBroker(async (mosq) => {
    let sent = 0;
    let lost = 0;
    let duplicates = 0;
    let errors = 0;
    const notes: string[] = [];
    let s = await startBenchService({ cameras: CAMERAS, env: { MQTT_URL: mosq.url } });
    const { dataDir, key, token } = s;
    try {
      if (!(await hasEventsRoute(s.url))) return row("service SIGKILL with undelivered outbox", 0, NA, NA, NA, 0, "no events route");
      for (let r = 0; r < runs; r++) {
        const counter = await eventCounter(mosq.url);
        // Half delivered normally, then the broker goes away and the rest pile up in the outbox.
        const before = await eventStream(s, 200, 1000);
        await mosq.kill();
        const during = await eventStream(s, 200, 1500);
        await s.kill(); // SIGKILL: nothing flushed, nothing said
        errors += unhandledLines(s.svc.output()).length;
        await mosq.restart();
        await sleep(300);
        await counter.close();
        const counter2 = await eventCounter(mosq.url);
        // Carry over what the first subscriber saw.
        for (const [id, n] of counter.counts) counter2.counts.set(id, (counter2.counts.get(id) ?? 0) + n);
        s = await startBenchService({ dataDir, key, token, env: { MQTT_URL: mosq.url } });
        const accepted = acceptedIds([before, during]);
        const r2 = await settle(accepted, counter2, 45_000, dataDir);
        if (r2.brokerLost) notes.push(`${r2.brokerLost} PUBACKed then lost by the killed broker`);
        await counter2.close();
        sent += accepted.size;
        lost += r2.lost;
        duplicates += r2.duplicates;
        errors += count5xx([before, during]) + before.errors + during.errors;
        notes.push(`run ${r + 1}: ${acceptedIds([during]).size} accepted while the broker was down`);
      }
      errors += unhandledLines(s.svc.output()).length;
      return row("service SIGKILL with undelivered outbox", runs, sent, lost, duplicates, errors, notes.join("; "));
    } finally {
      await s.stop();
      s.cleanup();
    }
  });
}

/** 4. Connect/disconnect flaps: the broker is SIGKILLed and restarted N times within about 30 s. */
export async function flaps(o: FaultOptions): Promise<FaultRow> {
  const n = o.quick ? 25 : 100;
  const windowMs = o.quick ? 8000 : 30_000;
  return withBroker(async (mosq) => {
    const s = await startBenchService({ cameras: CAMERAS, env: { MQTT_URL: mosq.url } });
    try {
      const hasEvents = await hasEventsRoute(s.url);
      const counter = await eventCounter(mosq.url);
      let done = false;
      const load = hasEvents ? eventStream(s, 50, 180_000, () => done) : Promise.resolve(null);
      const t0 = performance.now();
      for (let k = 0; k < n; k++) {
        await mosq.killAndRestart();
        const wait = t0 + ((k + 1) * windowMs) / n - performance.now();
        if (wait > 0) await sleep(wait);
      }
      const flapMs = Math.round(performance.now() - t0);
      // Afterwards the actor must come back by itself (its backoff may be at its cap: allow for it).
      let reconnected = true;
      await waitFor(async () => {
        const st = (await (await fetch(`${s.url}/api/v1/integrations/mqtt/status`, { headers: authHeaders(s.token) })).json()) as { connected?: boolean };
        return st.connected === true;
      }, 90_000, "reconnect after the flaps", 250).catch(() => (reconnected = false));
      await sleep(1000);
      done = true;
      const res = (await load) as LoadResult | null;
      const accepted = res ? acceptedIds([res]) : new Set<string>();
      const st = res ? await settle(accepted, counter, 60_000, s.dataDir) : null;
      const lost = st ? st.lost : NA;
      const duplicates = st ? st.duplicates : NA;
      await counter.close();
      const attempts = s.svc.output().split("\n").filter((l) => l.includes('"msg":"mqtt connected"')).length;
      const err = serviceErrors(s);
      const alive = await healthOk(s);
      const errors = (res ? count5xx([res]) + res.errors : 0) + err.unhandled + (alive ? 0 : 1) + (reconnected ? 0 : 1);
      return row(`${n} broker flaps in ${Math.round(flapMs / 1000)} s`, n, res ? accepted.size : NA, lost, duplicates, errors, `PUBACKed then lost by the killed broker ${st ? st.brokerLost : NA}, connects ${attempts}, reconnected ${reconnected}, unhandled ${err.unhandled}${hasEvents ? "" : ", events route absent"}`);
    } finally {
      await s.stop();
      s.cleanup();
    }
  });
}

/** 5. Wrong broker credentials: the API stays up, state not_authorized, bounded retries, no secret in logs; fixed via the API, every held event delivered. */
export async function wrongCredentials(o: FaultOptions): Promise<FaultRow> {
  const user = { username: "argus", password: "right-password-1234" };
  return withBroker(async (mosq) => {
    const wrong = "wrong-password-5678";
    const s = await startBenchService({ cameras: CAMERAS, env: { MQTT_URL: mosq.url, MQTT_USERNAME: "argus", MQTT_PASSWORD: wrong } });
    try {
      const errorsList: string[] = [];
      const observeMs = o.quick ? 4000 : 10_000;
      const hasEvents = await hasEventsRoute(s.url);
      const load = hasEvents ? eventStream(s, 50, observeMs) : sleep(observeMs).then(() => null);
      const res = await load;
      const st = (await (await fetch(`${s.url}/api/v1/integrations/mqtt/status`, { headers: authHeaders(s.token) })).json()) as { state?: string };
      if (st.state !== "not_authorized") errorsList.push(`state ${st.state}`);
      const health = await fetch(`${s.url}/api/v1/health`);
      if (health.status !== 200) errorsList.push(`health ${health.status}`);
      const attempts = s.svc.output().split("\n").filter((l) => l.includes("not authorized")).length;
      if (attempts > observeMs / 500) errorsList.push(`${attempts} refused attempts in ${observeMs} ms (hammering)`);
      if (s.svc.output().includes(wrong)) errorsList.push("the password appears in the output");
      // Fix the credentials through the API: what was held must now be delivered.
      const counter = await eventCounter(mosq.url, "liveobject", user);
      const put = await fetch(`${s.url}/api/v1/integrations/mqtt/config`, {
        method: "PUT",
        headers: { ...authHeaders(s.token), "content-type": "application/json" },
        body: JSON.stringify({ broker_host: "127.0.0.1", broker_port: mosq.port, username: user.username, password: user.password, enabled: true }),
      });
      if (put.status !== 200) errorsList.push(`PUT config ${put.status}`);
      const accepted = res ? acceptedIds([res]) : new Set<string>();
      const { lost, duplicates } = res ? await settle(accepted, counter, 45_000) : { lost: NA, duplicates: NA };
      await counter.close();
      const err = serviceErrors(s);
      const errors = errorsList.length + err.unhandled + (res ? count5xx([res]) + res.errors : 0);
      return row("wrong broker credentials", 1, res ? accepted.size : NA, lost, duplicates, errors, [`refused attempts ${attempts} in ${observeMs / 1000} s`, ...errorsList].join(", "));
    } finally {
      await s.stop();
      s.cleanup();
    }
  }, [user]);
}

/** 6. Broker unreachable at start: the service starts anyway; events wait; the broker appears; all delivered. */
export async function brokerUnreachable(o: FaultOptions): Promise<FaultRow> {
  const port = await freePort();
  const url = `mqtt://127.0.0.1:${port}`;
  const started = performance.now();
  const s = await startBenchService({ cameras: CAMERAS, env: { MQTT_URL: url } });
  const startMs = Math.round(performance.now() - started);
  let mosq: Mosquitto | null = null;
  try {
    const problems: string[] = [];
    const health = (await (await fetch(`${s.url}/api/v1/health`)).json()) as { status?: string };
    if (health.status !== "degraded") problems.push(`health ${health.status}`);
    const hasEvents = await hasEventsRoute(s.url);
    const res = hasEvents ? await eventStream(s, 100, o.quick ? 2000 : 5000) : null;
    mosq = await startMosquitto({ port });
    const counter = await eventCounter(mosq.url);
    const accepted = res ? acceptedIds([res]) : new Set<string>();
    // The actor is in backoff: it may take up to its current delay to try again.
    const { lost, duplicates } = res ? await settle(accepted, counter, 90_000) : { lost: NA, duplicates: NA };
    await counter.close();
    const err = serviceErrors(s);
    const errors = problems.length + err.unhandled + (res ? count5xx([res]) + res.errors : 0);
    return row("broker unreachable at start", 1, res ? accepted.size : NA, lost, duplicates, errors, [`listening after ${startMs} ms`, ...problems].join(", "));
  } finally {
    await s.stop();
    s.cleanup();
    if (mosq) await mosq.stop();
  }
}

export { camera };
