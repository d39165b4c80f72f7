/**
 * Events: sustained POST /api/v1/events (closed loop, fixed number of keep-alive connections) against
 * the real service with a subscriber counting deliveries on P/camera/+/event, next to a bare Koa JSON
 * route (bench/bare-koa.ts, its own process) in the same run. When the service has no events route
 * (read from /openapi.json) the figure is reported as not measured.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { fileURLToPath } from "node:url";
import mqtt from "mqtt";
import { startMosquitto } from "../test/helpers/mosquitto.js";
import { camera, closedLoop, median, round, sleep, summarize, waitFor, medianSummary, type Summary } from "./lib.js";
import { authHeaders, isReconcileDone, startBenchService, type BenchService } from "./service.js";

export interface EventsResult {
  available: boolean;
  reason?: string;
  bare: Summary;
  service: Summary;
  ratio: number;
  accepted: number;
  delivered: number;
  lost: number;
  duplicates: number;
  reps: Array<{ bare: Summary; service: Summary }>;
}

const BARE = fileURLToPath(new URL("./bare-koa.js", import.meta.url));
const CAMERAS = 10;

export function eventBody(i: number): string {
  return JSON.stringify({
    camera_id: camera(i % CAMERAS).id,
    description: `Person at the front door (${i})`,
    objects_detected: ["person"],
    confidence: 80 + (i % 20),
    smart_detection_type: "person",
  });
}

/** Does this service have POST /api/v1/events? */
export async function hasEventsRoute(url: string): Promise<boolean> {
  try {
    const spec = (await (await fetch(`${url}/openapi.json`)).json()) as { paths?: Record<string, Record<string, unknown>> };
    return Boolean(spec.paths?.["/api/v1/events"]?.post);
  } catch {
    return false;
  }
}

export async function startBare(): Promise<{ url: string; child: ChildProcess }> {
  const child = spawn(process.execPath, [BARE], { stdio: ["ignore", "pipe", "inherit"] });
  const url = await new Promise<string>((resolve, reject) => {
    let out = "";
    const t = setTimeout(() => reject(new Error("bare koa did not start")), 10_000);
    child.stdout!.on("data", (d) => {
      out += d;
      const m = /listening (http:\S+)/.exec(out);
      if (m) {
        clearTimeout(t);
        resolve(m[1]!);
      }
    });
  });
  return { url, child };
}

/** Subscriber standing in for Home Assistant: counts event deliveries by event_id. */
export async function eventCounter(url: string, topicPrefix = "liveobject", auth?: { username: string; password: string }): Promise<{ counts: Map<string, number>; close: () => Promise<void> }> {
  const counts = new Map<string, number>();
  const client = mqtt.connect(url, {
    protocolVersion: 5,
    reconnectPeriod: 200,
    clean: false,
    clientId: `bench-events-${process.pid}-${Math.random().toString(16).slice(2, 8)}`,
    properties: { sessionExpiryInterval: 600 },
    ...(auth ?? {}),
  });
  await new Promise<void>((resolve, reject) => {
    client.once("connect", () => resolve());
    client.once("error", reject);
  });
  // A retained copy received on (re)subscribe counts too: it is how a subscriber that was away sees it.
  client.on("message", (_topic, payload) => {
    try {
      const id = (JSON.parse(payload.toString()) as { event_id?: string }).event_id;
      if (id) counts.set(id, (counts.get(id) ?? 0) + 1);
    } catch {
      /* not an event payload */
    }
  });
  await client.subscribeAsync(`${topicPrefix}/camera/+/event`, { qos: 1 });
  return { counts, close: () => client.endAsync(true).catch(() => undefined) as Promise<void> };
}

export async function benchEvents(opts: { reps: number; durationMs: number; concurrency: number }, log: (s: string) => void): Promise<EventsResult> {
  const none: Summary = { n: 0, rps: NaN, p50: NaN, p90: NaN, p99: NaN, max: NaN, errors: 0 };
  const mosq = await startMosquitto();
  let s: BenchService | null = null;
  const bare = await startBare();
  try {
    s = await startBenchService({ cameras: CAMERAS, env: { MQTT_URL: mosq.url } });
    if (!(await hasEventsRoute(s.url))) {
      return { available: false, reason: "the service has no POST /api/v1/events route (not in /openapi.json)", bare: none, service: none, ratio: NaN, accepted: 0, delivered: 0, lost: 0, duplicates: 0, reps: [] };
    }
    await s.watch.waitFor(isReconcileDone, 60_000, "the first reconcile");
    const counter = await eventCounter(mosq.url);
    const accepted = new Set<string>();
    const reps: Array<{ bare: Summary; service: Summary }> = [];
    try {
      const svcTarget = { url: `${s.url}/api/v1/events`, method: "POST", headers: authHeaders(s.token), body: eventBody };
      const bareTarget = { url: `${bare.url}/api/v1/events`, method: "POST", body: eventBody };
      // Warm-up both (JIT, sockets, SQLite page cache).
      await closedLoop(bareTarget, { concurrency: opts.concurrency, durationMs: 1000 });
      const warm = await closedLoop(svcTarget, { concurrency: opts.concurrency, durationMs: 1000, keepBodies: true });
      collectIds(warm.bodies, accepted);
      for (let r = 0; r < opts.reps; r++) {
        const b = await closedLoop(bareTarget, { concurrency: opts.concurrency, durationMs: opts.durationMs });
        const v = await closedLoop(svcTarget, { concurrency: opts.concurrency, durationMs: opts.durationMs, keepBodies: true });
        collectIds(v.bodies, accepted);
        const non201 = Object.entries(v.statuses).filter(([code]) => code !== "201").reduce((a, [, n]) => a + n, 0);
        const rep = { bare: summarize(b.latencies, b.elapsedMs, b.errors), service: summarize(v.latencies, v.elapsedMs, non201) };
        reps.push(rep);
        log(`  events rep ${r + 1}: bare ${rep.bare.rps} req/s p99 ${rep.bare.p99} ms | service ${rep.service.rps} req/s p99 ${rep.service.p99} ms, non-201 ${non201}, delivered so far ${counter.counts.size}/${accepted.size}`);
      }
      // Drain: every accepted event should reach the subscriber (bounded wait).
      await waitFor(() => [...accepted].every((id) => counter.counts.has(id)), 60_000, "every event delivered", 100).catch(() => undefined);
      await sleep(300);
    } finally {
      await counter.close();
    }
    const delivered = [...accepted].filter((id) => counter.counts.has(id)).length;
    const duplicates = [...counter.counts.values()].reduce((a, n) => a + Math.max(0, n - 1), 0);
    const bareSum = medianSummary(reps.map((r) => r.bare));
    const svcSum = medianSummary(reps.map((r) => r.service));
    return {
      available: true,
      bare: bareSum,
      service: svcSum,
      ratio: round(median(reps.map((r) => r.service.rps / r.bare.rps)), 2),
      accepted: accepted.size,
      delivered,
      lost: accepted.size - delivered,
      duplicates,
      reps,
    };
  } finally {
    bare.child.kill("SIGTERM");
    if (s) {
      await s.stop();
      s.cleanup();
    }
    await mosq.stop();
  }
}

function collectIds(bodies: string[], into: Set<string>): void {
  for (const b of bodies) {
    try {
      const id = (JSON.parse(b) as { id?: string }).id;
      if (id) into.add(id);
    } catch {
      /* not JSON */
    }
  }
}

