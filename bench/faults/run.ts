/**
 * `npm run faults`: fault scenarios end to end against real processes; prints a table (scenario,
 * runs, events sent, lost, duplicates, errors) and exits 1 when a target is missed.
 *
 *   node dist/bench/faults/run.js [--quick] [--only=kills,worker,sigkill,flaps,creds,unreachable,hostile]
 */
import { writeFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { killAllMosquitto } from "../../test/helpers/mosquitto.js";
import { machine, parseArgs, table } from "../lib.js";
import type { FaultRow } from "./common.js";
import { hostileRequests } from "./hostile.js";
import { brokerKills, brokerUnreachable, flaps, serviceKill, workerCrash, wrongCredentials, type FaultOptions } from "./scenarios.js";

const args = parseArgs(process.argv.slice(2));
const quick = args.has("quick");
const log = (s: string) => process.stderr.write(s + "\n");
const RESULTS = fileURLToPath(new URL("../../../bench/faults-results.json", import.meta.url));

const SCENARIOS: Array<[string, (o: FaultOptions) => Promise<FaultRow>]> = [
  ["kills", brokerKills],
  ["worker", workerCrash],
  ["sigkill", serviceKill],
  ["flaps", flaps],
  ["creds", wrongCredentials],
  ["unreachable", brokerUnreachable],
  ["hostile", hostileRequests],
];
const only = args.get("only")?.split(",") ?? SCENARIOS.map(([k]) => k);

const harnessUnhandled: unknown[] = [];
process.on("unhandledRejection", (e) => {
  harnessUnhandled.push(e);
  log(`unhandled rejection in the fault harness: ${e instanceof Error ? e.stack : String(e)}`);
});
const HARD_LIMIT_MS = (quick ? 4 : 15) * 60_000;
setTimeout(() => {
  log(`faults exceeded ${HARD_LIMIT_MS / 60_000} min, aborting`);
  void killAllMosquitto();
  process.exit(3);
}, HARD_LIMIT_MS).unref();

async function main(): Promise<void> {
  const started = Date.now();
  const m = machine();
  log(`argus-bridge faults: ${quick ? "quick" : "full"}; ${m.nproc} cores, ${m.cpu}, Node ${m.node}`);
  const rows: FaultRow[] = [];
  for (const [key, fn] of SCENARIOS) {
    if (!only.includes(key)) continue;
    const t0 = Date.now();
    log(`${key} ...`);
    try {
      const r = await fn({ quick, log });
      rows.push(r);
      log(`  ${r.ok ? "ok" : "FAILED"} in ${Math.round((Date.now() - t0) / 1000)} s: ${r.scenario}: sent ${r.sent}, lost ${r.lost}, dup ${r.duplicates}, errors ${r.errors}; ${r.notes}`);
    } catch (e) {
      rows.push({ scenario: key, runs: 0, sent: "-", lost: "-", duplicates: "-", errors: 1, ok: false, notes: `harness error: ${e instanceof Error ? e.message.split("\n")[0] : String(e)}` });
      log(`  ${key} harness error: ${e instanceof Error ? e.stack : String(e)}`);
    }
  }
  console.log("\n## Faults\n");
  console.log(table(["scenario", "runs", "events sent", "lost", "duplicates", "errors", "result", "notes"], rows.map((r) => [r.scenario, r.runs, String(r.sent), String(r.lost), String(r.duplicates), r.errors, r.ok ? "ok" : "FAILED", r.notes])));
  const duration = Math.round((Date.now() - started) / 1000);
  console.log(`\n${rows.filter((r) => r.ok).length}/${rows.length} scenarios met the target (zero lost, zero 5xx, zero unhandled) in ${duration} s; harness unhandled rejections: ${harnessUnhandled.length}`);
  writeFileSync(RESULTS, JSON.stringify({ started_at: new Date(started).toISOString(), quick, machine: m, duration_s: duration, rows }, null, 2) + "\n");
  process.exitCode = rows.every((r) => r.ok) ? 0 : 1;
}

main().then(
  () => process.exit(process.exitCode ?? 0),
  (e: unknown) => {
    log(`faults failed: ${e instanceof Error ? e.stack : String(e)}`);
    process.exit(1);
  },
);
