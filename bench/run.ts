/**
 * `npm run bench`: every figure next to its baseline, in the same run, median of several
 * repetitions. Prints tables and writes bench/results.json.
 *
 *   node dist/bench/run.js [--quick] [--reps=N] [--only=discovery,isolation,events,reconnect,memory]
 */
import { writeFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { BROKER_PROFILES, benchDiscovery, type BrokerProfile, type DiscoveryCase, type DiscoveryResult } from "./discovery.js";
import { benchEvents, type EventsResult } from "./events.js";
import { benchIsolation, type IsolationResult } from "./isolation.js";
import { machine, median, parseArgs, round, table } from "./lib.js";
import { benchReconnect, type ReconnectResult } from "./reconnect.js";

const args = parseArgs(process.argv.slice(2));
const quick = args.has("quick");
const reps = Number(args.get("reps") ?? (quick ? 1 : 3));
const only = args.get("only")?.split(",") ?? ["discovery", "isolation", "events", "reconnect", "memory"];
const RESULTS = fileURLToPath(new URL("../../bench/results.json", import.meta.url));
const log = (s: string) => process.stderr.write(s + "\n");

const unhandled: unknown[] = [];
process.on("unhandledRejection", (e) => {
  unhandled.push(e);
  log(`unhandled rejection in the bench harness: ${e instanceof Error ? e.stack : String(e)}`);
});

// Hard stop: the whole run is bounded even if something hangs.
const HARD_LIMIT_MS = (quick ? 6 : 40) * 60_000;
setTimeout(() => {
  log(`bench exceeded ${HARD_LIMIT_MS / 60_000} min, aborting`);
  process.exit(3);
}, HARD_LIMIT_MS).unref();

const pass = (ok: boolean | null) => (ok === null ? "n/a" : ok ? "met" : "MISSED");

async function main(): Promise<void> {
  const started = Date.now();
  const m = machine();
  log(`argus-bridge bench: ${quick ? "quick" : "full"}, ${reps} repetition(s); ${m.nproc} cores, ${m.cpu}, Node ${m.node}`);
  const results: Record<string, unknown> = { started_at: new Date().toISOString(), quick, reps, machine: m };
  const targets: Array<[string, string, string, string]> = [];

  let discovery: DiscoveryResult[] | null = null;
  if (only.includes("discovery")) {
    const sizes = args.get("cameras")?.split(",").map(Number) ?? (quick ? [1000] : [1000, 10_000]);
    const modes = (args.get("modes")?.split(",") ?? ["entity", "device"]) as DiscoveryCase["mode"][];
    const cases: DiscoveryCase[] = sizes.flatMap((n) => modes.map((mode) => ({ cameras: n, mode })));
    log("discovery ...");
    const profiles = (args.get("brokers")?.split(",") ?? ["stock", "tuned"]) as BrokerProfile[];
    discovery = await benchDiscovery(cases, reps, log, profiles);
    results.discovery = discovery;
    console.log("\n## Discovery: full republish, empty broker, CONNACK -> last PUBACK (median)\n");
    console.log(
      table(
        ["broker", "cameras", "mode", "messages", "bare ms", "bare msg/s", "bare(windowed) msg/s", "actor cold ms", "actor warm ms", "ratio cold", "ratio warm", "cold vs windowed", "start->done ms"],
        discovery.flatMap((d) =>
          d.profiles.map((p) => [p.profile, d.cameras, d.mode, d.messages, p.bare_ms, p.bare_msg_s, p.bare_windowed_msg_s, p.actor_ms, p.actor_warm_ms, p.ratio, p.ratio_warm, p.ratio_vs_windowed, p.actor_e2e_ms]),
        ),
      ),
    );
    console.log(`\nratio = bare ms / actor ms (actor with default options); cold = first reconcile of a fresh worker, warm = the same worker after the broker came back empty. Brokers: ${Object.entries(BROKER_PROFILES).map(([k, v]) => `${k} = ${v.length ? v.join(", ") : "defaults"}`).join("; ")}.`);
    for (const d of discovery)
      for (const p of d.profiles) {
        targets.push([`discovery ${d.cameras} ${d.mode} (${p.profile} broker, cold)`, "ratio >= 0.8", String(p.ratio), pass(p.ratio >= 0.8)]);
        targets.push([`discovery ${d.cameras} ${d.mode} (${p.profile} broker, warm)`, "ratio >= 0.8", String(p.ratio_warm), pass(p.ratio_warm >= 0.8)]);
      }
  }

  let isolation: IsolationResult[] | null = null;
  if (only.includes("isolation") || only.includes("memory")) {
    log("isolation + memory ...");
    const variants = args.get("isolation")?.split(",");
    isolation = await benchIsolation({ cameras: Number(args.get("isolation-cameras") ?? (quick ? 2000 : 10_000)), reps, rate: 200, idleMs: quick ? 3000 : 8000, ...(variants ? { variants } : {}) }, log);
    results.isolation = isolation;
    console.log("\n## Isolation: GET /api/v1/health at 200 req/s, latency from scheduled send (median of reps)\n");
    console.log(
      table(
        ["actor", "cameras", "idle p50", "idle p99", "storm p50", "storm p99", "storm max", "p99 ratio", "storm s", "storm samples", "errors", "HTTP thread in storm: ran / waited for a core ms"],
        isolation.map((r) => [
          r.mode,
          r.cameras,
          r.idle.p50,
          r.idle.p99,
          r.storm.p50,
          r.storm.p99,
          r.storm.max,
          r.p99_ratio,
          round(r.storm_ms / 1000, 1),
          r.storm.n,
          r.idle.errors + r.storm.errors,
          `${median(r.reps.map((x) => x.main_thread.storm_run_ms))} / ${median(r.reps.map((x) => x.main_thread.storm_wait_ms))}`,
        ]),
      ),
    );
    const w = isolation.find((r) => r.mode === "worker");
    if (w) targets.push(["isolation (worker)", "storm p99 <= 1.5x idle p99", String(w.p99_ratio), pass(w.p99_ratio <= 1.5)]);
    console.log("\n## Memory: whole process RSS (all threads), /proc/<pid>/status\n");
    console.log(
      table(
        ["actor", "cameras", "RSS idle after publish MB", "RSS after storm MB", "peak (VmHWM) MB"],
        isolation.map((r) => [r.mode, r.cameras, r.memory.rss_idle_mb, r.memory.rss_after_mb, r.memory.peak_mb]),
      ),
    );
    if (w) targets.push([`memory (${w.cameras} cameras, worker)`, "RSS <= 200 MB", `${w.memory.rss_after_mb} (peak ${w.memory.peak_mb})`, pass(w.memory.peak_mb <= 200)]);
  }

  let events: EventsResult | null = null;
  if (only.includes("events")) {
    log("events ...");
    events = await benchEvents({ reps, durationMs: quick ? 3000 : 8000, concurrency: 16 }, log);
    results.events = events;
    console.log("\n## Events: POST /api/v1/events (closed loop, 16 connections) vs a bare Koa JSON route\n");
    if (!events.available) {
      console.log(`not measured: ${events.reason}`);
      targets.push(["events", "ratio >= 0.5", "not measured", "n/a"]);
    } else {
      console.log(
        table(
          ["target", "req/s", "p50 ms", "p99 ms", "errors", "delivered", "lost"],
          [
            ["bare Koa", events.bare.rps, events.bare.p50, events.bare.p99, events.bare.errors, "-", "-"],
            ["service", events.service.rps, events.service.p50, events.service.p99, events.service.errors, events.delivered, events.lost],
          ],
        ),
      );
      console.log(`\nratio ${events.ratio}`);
      targets.push(["events", "ratio >= 0.5", String(events.ratio), pass(events.ratio >= 0.5)]);
    }
  }

  let reconnect: ReconnectResult[] | null = null;
  if (only.includes("reconnect")) {
    log("reconnect ...");
    reconnect = [];
    for (const profile of (args.get("brokers")?.split(",") ?? ["stock", "tuned"]) as BrokerProfile[]) reconnect.push(await benchReconnect({ cameras: 1000, reps, profile }, log));
    results.reconnect = reconnect;
    console.log("\n## Reconnect: broker SIGKILL + restart, 1,000 cameras, until availability + every config + every status is seen (median)\n");
    console.log(
      table(
        ["broker", "reps", "broker down ms", "backoff delay ms", "kill -> all seen ms", "connect -> all seen ms", "budget (delay + 1 s)", "messages seen"],
        reconnect.map((r) => [r.profile, r.runs.length, r.broker_down_ms, r.delay_ms, r.total_ms, r.after_connect_ms, r.budget_ms, r.messages]),
      ),
    );
    for (const r of reconnect) targets.push([`reconnect 1,000 cameras (${r.profile} broker)`, "<= backoff delay + 1 s", `${r.total_ms} ms (budget ${r.budget_ms})`, pass(r.total_ms <= r.budget_ms)]);
  }

  console.log("\n## Targets\n");
  console.log(table(["figure", "target", "measured", "result"], targets));
  results.targets = targets.map(([figure, target, measured, result]) => ({ figure, target, measured, result }));
  results.unhandled_rejections = unhandled.length;
  results.duration_s = Math.round((Date.now() - started) / 1000);
  writeFileSync(RESULTS, JSON.stringify(results, null, 2) + "\n");
  log(`wrote ${RESULTS} (${results.duration_s} s)`);
}

main().then(
  () => process.exit(0),
  (e: unknown) => {
    log(`bench failed: ${e instanceof Error ? e.stack : String(e)}`);
    process.exit(1);
  },
);
