/**
 * Isolation: GET /api/v1/health at a fixed rate, idle and during a full N-camera republish, with the
 * MQTT actor in its worker thread (default nice 10, and nice 0) and inline (same thread as the API). The republish is the real
 * one after a broker restart: mosquitto (persistence off) is SIGKILLed and restarted, the actor
 * reconnects after its backoff and republishes every config into the empty broker. The storm window
 * is taken from the service's own log: "mqtt connected" -> "discovery reconcile done".
 * Memory (whole-process RSS, all threads) is read from /proc for the same processes.
 */
import { performance } from "node:perf_hooks";
import { startMosquitto } from "../test/helpers/mosquitto.js";
import { fixedRate, median, processMemory, round, sleep, summarize, medianSummary, threadSchedule, type Summary } from "./lib.js";
import { authHeaders, isConnected, isReconcileDone, startBenchService, type BenchService } from "./service.js";

/** Waits (bounded) until the actor has nothing in flight and nothing queued twice in a row: really idle. */
async function quiet(s: BenchService): Promise<void> {
  let calm = 0;
  const deadline = Date.now() + 60_000;
  while (calm < 2 && Date.now() < deadline) {
    try {
      const w = (await (await fetch(`${s.url}/api/v1/system/workers`, { headers: authHeaders(s.token) })).json()) as { mqtt: { health: { in_flight: number; queue_depth: number; reconcile_running: boolean } } };
      const h = w.mqtt.health;
      calm = h.in_flight === 0 && h.queue_depth === 0 && !h.reconcile_running ? calm + 1 : 0;
    } catch {
      calm = 0;
    }
    await sleep(300);
  }
}

export interface IsolationRep {
  idle: Summary;
  storm: Summary;
  /** The service's HTTP (main) thread: ms it ran and ms it waited for a core, idle phase and storm phase. */
  main_thread: { idle_run_ms: number; idle_wait_ms: number; storm_run_ms: number; storm_wait_ms: number };
  storm_ms: number;
  configs_sent: number;
}

/** The API's neighbours during the storm: the actor in its (lowered-priority) worker, the same at the process's priority, and inline. */
const VARIANTS = [
  { mode: "worker", env: { MQTT_ACTOR: "worker" }, brokerNice: 0 },
  { mode: "worker-nice0", env: { MQTT_ACTOR: "worker", MQTT_WORKER_NICE: "0" }, brokerNice: 0 },
  // The broker yielding the cores too (as when it runs on another machine or at a lower priority).
  { mode: "worker+broker-nice10", env: { MQTT_ACTOR: "worker" }, brokerNice: 10 },
  { mode: "inline", env: { MQTT_ACTOR: "inline" }, brokerNice: 0 },
] as const;

export interface IsolationResult {
  mode: (typeof VARIANTS)[number]["mode"];
  cameras: number;
  reps: IsolationRep[];
  idle: Summary;
  storm: Summary;
  p99_ratio: number;
  storm_ms: number;
  memory: { rss_idle_mb: number; rss_after_mb: number; peak_mb: number };
  first_reconcile_ms: number;
}


export async function benchIsolation(opts: { cameras: number; reps: number; rate: number; idleMs: number; variants?: string[] }, log: (s: string) => void): Promise<IsolationResult[]> {
  const out: IsolationResult[] = [];
  for (const { mode, env, brokerNice } of VARIANTS.filter((v) => !opts.variants || opts.variants.includes(v.mode))) {
    const mosq = await startMosquitto({ nice: brokerNice });
    const t0 = Date.now();
    const s = await startBenchService({ cameras: opts.cameras, env: { MQTT_URL: mosq.url, ...env, HA_DISCOVERY_MODE: "entity" } });
    try {
      await s.watch.waitFor(isReconcileDone, 180_000, "the first reconcile");
      const firstMs = Date.now() - t0;
      await quiet(s);
      const rssIdle = processMemory(s.svc.child.pid!).rss_mb;
      const target = { url: `${s.url}/api/v1/health` };
      // Warm-up: JIT and keep-alive sockets.
      await fixedRate(target, { rate: opts.rate, durationMs: 1000 });
      const reps: IsolationRep[] = [];
      for (let r = 0; r < opts.reps; r++) {
        await quiet(s);
        const pid = s.svc.child.pid!;
        const idle0 = threadSchedule(pid);
        const idle = await fixedRate(target, { rate: opts.rate, durationMs: opts.idleMs });
        const idle1 = threadSchedule(pid);
        const idleSum = summarize(idle.latencies, idle.elapsedMs, idle.errors);

        const mark = s.watch.mark;
        let done = false;
        let stopAt = Infinity;
        const load = fixedRate(target, { rate: opts.rate, durationMs: 120_000, stop: () => done && performance.now() >= stopAt });
        await sleep(300);
        await mosq.killAndRestart();
        const connected = await s.watch.waitFor(isConnected, 60_000, "reconnect", mark);
        const storm0 = threadSchedule(pid);
        const finished = await s.watch.waitFor(isReconcileDone, 120_000, "the storm's reconcile", mark);
        const storm1 = threadSchedule(pid);
        done = true;
        stopAt = performance.now() + 200;
        const storm = await load;
        // Log times are epoch ms; the generator's are performance.now(): align through timeOrigin.
        const from = (connected.time as number) - performance.timeOrigin;
        const to = (finished.time as number) - performance.timeOrigin;
        const inWindow: number[] = [];
        storm.latencies.forEach((lat, i) => {
          const at = storm.sentAt[i]!;
          if (at >= from && at <= to) inWindow.push(lat);
        });
        const stormMs = to - from;
        const rep: IsolationRep = {
          idle: idleSum,
          storm: summarize(inWindow, stormMs, storm.errors),
          storm_ms: round(stormMs, 0),
          configs_sent: Number(finished.configs_sent ?? 0),
          main_thread: {
            idle_run_ms: round(idle1.run_ms - idle0.run_ms, 0),
            idle_wait_ms: round(idle1.wait_ms - idle0.wait_ms, 0),
            storm_run_ms: round(storm1.run_ms - storm0.run_ms, 0),
            storm_wait_ms: round(storm1.wait_ms - storm0.wait_ms, 0),
          },
        };
        reps.push(rep);
        log(`  isolation ${mode} rep ${r + 1}: idle p50 ${rep.idle.p50} p99 ${rep.idle.p99} | storm ${rep.storm_ms} ms, ${rep.configs_sent} configs, p50 ${rep.storm.p50} p99 ${rep.storm.p99} max ${rep.storm.max} (n=${rep.storm.n}) | HTTP thread ran/waited for a core: idle ${rep.main_thread.idle_run_ms}/${rep.main_thread.idle_wait_ms} ms, storm ${rep.main_thread.storm_run_ms}/${rep.main_thread.storm_wait_ms} ms`);
        await sleep(1000);
      }
      const mem = processMemory(s.svc.child.pid!);
      const idle = medianSummary(reps.map((r) => r.idle));
      const storm = medianSummary(reps.map((r) => r.storm));
      out.push({
        mode,
        cameras: opts.cameras,
        reps,
        idle,
        storm,
        p99_ratio: round(median(reps.map((r) => r.storm.p99 / r.idle.p99)), 2),
        storm_ms: median(reps.map((r) => r.storm_ms)),
        memory: { rss_idle_mb: rssIdle, rss_after_mb: mem.rss_mb, peak_mb: mem.peak_mb },
        first_reconcile_ms: firstMs,
      });
    } finally {
      await s.stop();
      s.cleanup();
      await mosq.stop();
    }
  }
  return out;
}
