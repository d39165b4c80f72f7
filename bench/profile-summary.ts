/**
 * Summarises V8 .cpuprofile files (node --cpu-prof) by self time: the top functions with their
 * file:line, so a missed target can be traced to code. Usage:
 *   node dist/bench/profile-summary.js <file.cpuprofile|dir> [--top=25]
 * The benches write profiles of the spawned service when BENCH_CPU_PROF_DIR is set.
 */
import { readdirSync, readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import { parseArgs, round, table } from "./lib.js";

interface Node {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  children?: number[];
}
interface Profile {
  nodes: Node[];
  samples: number[];
  timeDeltas: number[];
}

export function summarizeProfile(file: string, top = 25): string {
  const p = JSON.parse(readFileSync(file, "utf8")) as Profile;
  const byId = new Map(p.nodes.map((n) => [n.id, n]));
  const self = new Map<number, number>();
  p.samples.forEach((id, i) => self.set(id, (self.get(id) ?? 0) + (p.timeDeltas[i] ?? 0)));
  const total = [...self.values()].reduce((a, b) => a + b, 0);
  const agg = new Map<string, number>();
  for (const [id, us] of self) {
    const n = byId.get(id)!;
    const url = n.callFrame.url.replace(/^file:\/\//, "").replace(/^.*\/(node_modules|dist[^/]*)\//, "$1/");
    const key = `${n.callFrame.functionName || "(anonymous)"} ${url ? `${url}:${n.callFrame.lineNumber + 1}` : ""}`.trim();
    agg.set(key, (agg.get(key) ?? 0) + us);
  }
  const rows = [...agg].sort((a, b) => b[1] - a[1]).slice(0, top).map(([k, us]) => [round(us / 1000, 0), round((100 * us) / total, 1), k]);
  return `${file}: ${round(total / 1e6, 2)} s sampled\n` + table(["self ms", "%", "function"], rows as Array<Array<string | number>>);
}

const isMain = process.argv[1] && import.meta.url.endsWith(process.argv[1].split("/").pop()!);
if (isMain) {
  const args = process.argv.slice(2).filter((a) => !a.startsWith("--"));
  const top = Number(parseArgs(process.argv.slice(2)).get("top") ?? 25);
  for (const a of args) {
    const files = statSync(a).isDirectory() ? readdirSync(a).filter((f) => f.endsWith(".cpuprofile")).map((f) => join(a, f)) : [a];
    for (const f of files) console.log(summarizeProfile(f, top) + "\n");
  }
}
