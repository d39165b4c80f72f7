/**
 * Runs every compiled `*.test.js` under this folder, each in its own process (so worker threads,
 * brokers and ports never leak between files), and ends with the line `N passed, N failed` that
 * uvu does not print. Exits non-zero on any failure, a crashed file, or when no test ran.
 *
 * Usage: node dist/test/run.js [substring filter ...]
 */
import { spawn } from "node:child_process";
import { readdirSync, statSync } from "node:fs";
import { dirname, join, relative } from "node:path";
import { fileURLToPath } from "node:url";

const here = dirname(fileURLToPath(import.meta.url));
const filters = process.argv.slice(2);
const FILE_TIMEOUT_MS = Number(process.env.TEST_FILE_TIMEOUT_MS ?? 180_000);
const CONCURRENCY = Math.max(1, Number(process.env.TEST_CONCURRENCY ?? 2));

function findTests(dir: string): string[] {
  const found: string[] = [];
  for (const name of readdirSync(dir).sort()) {
    const full = join(dir, name);
    if (statSync(full).isDirectory()) found.push(...findTests(full));
    else if (name.endsWith(".test.js")) found.push(full);
  }
  return found;
}

interface FileResult {
  file: string;
  total: number;
  passed: number;
  skipped: number;
  code: number | null;
  output: string;
}

function runFile(file: string): Promise<FileResult> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ["--enable-source-maps", file], {
      env: { ...process.env, NO_COLOR: "1", FORCE_COLOR: "0" },
      stdio: ["ignore", "pipe", "pipe"],
    });
    let output = "";
    child.stdout.on("data", (d) => (output += d));
    child.stderr.on("data", (d) => (output += d));
    const timer = setTimeout(() => {
      output += `\n[runner] killed after ${FILE_TIMEOUT_MS} ms\n`;
      child.kill("SIGKILL");
    }, FILE_TIMEOUT_MS);
    child.on("close", (code) => {
      clearTimeout(timer);
      const num = (label: string) => {
        const all = [...output.matchAll(new RegExp(`^\\s*${label}:\\s+(\\d+)`, "gm"))];
        return all.reduce((sum, m) => sum + Number(m[1]), 0);
      };
      resolve({ file, total: num("Total"), passed: num("Passed"), skipped: num("Skipped"), code, output });
    });
  });
}

/**
 * uvu's Total counts the tests that ran (skipped ones are apart), so failures = Total - Passed.
 * A file that exited non-zero with no failed test (a crash, a failed hook) counts as one failure.
 */
function failuresOf(r: FileResult): number {
  const failed = r.total - r.passed;
  return failed > 0 ? failed : r.code !== 0 ? 1 : 0;
}

const files = findTests(here).filter((f) => filters.length === 0 || filters.some((s) => f.includes(s)));
const results: FileResult[] = [];
let next = 0;
async function lane(): Promise<void> {
  while (next < files.length) {
    const file = files[next++]!;
    const r = await runFile(file);
    results.push(r);
    const failedHere = failuresOf(r);
    const label = relative(here, file);
    if (r.code !== 0 || failedHere > 0) {
      process.stdout.write(`\n✘ ${label} (exit ${r.code})\n${r.output}\n`);
    } else {
      process.stdout.write(`✔ ${label}: ${r.passed} passed${r.skipped ? `, ${r.skipped} skipped` : ""}\n`);
    }
  }
}
await Promise.all(Array.from({ length: CONCURRENCY }, lane));

let passed = 0;
let failed = 0;
let skipped = 0;
for (const r of results) {
  passed += r.passed;
  skipped += r.skipped;
  failed += failuresOf(r);
}
process.stdout.write(`\n${passed} passed, ${failed} failed, ${skipped} skipped\n`);
process.exit(failed > 0 || passed === 0 ? 1 : 0);
