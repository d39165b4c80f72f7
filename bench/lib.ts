/**
 * Shared pieces of the benchmarks and the fault suite: statistics, tables, a fixed-rate HTTP load
 * generator, data-folder seeding, service log parsing and process memory. Loopback only; every
 * loop here is bounded in count and in time.
 */
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import * as http from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { performance } from "node:perf_hooks";
import { randomBytes } from "node:crypto";
import type { Camera } from "../src/domain/camera.js";
import { defaultMqttSettings, type MqttSettings } from "../src/mqtt/settings.js";
import { SecretBox } from "../src/crypto/secret-box.js";
import { databasePath, openStore } from "../src/store/store.js";

// ------------------------------------------------------------------ time and statistics

export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

export function percentile(sorted: ArrayLike<number>, p: number): number {
  if (sorted.length === 0) return NaN;
  const idx = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[idx]!;
}

export function sortNumbers(values: readonly number[]): Float64Array {
  const a = Float64Array.from(values);
  a.sort();
  return a;
}

export function median(values: readonly number[]): number {
  const finite = values.filter((v) => Number.isFinite(v));
  if (finite.length === 0) return NaN;
  return percentile(sortNumbers(finite), 50);
}

export function round(v: number, digits = 1): number {
  if (!Number.isFinite(v)) return v;
  const f = 10 ** digits;
  return Math.round(v * f) / f;
}

/** Polls `pred` until true; throws after `timeoutMs`. */
export async function waitFor(pred: () => boolean | Promise<boolean>, timeoutMs: number, what: string, everyMs = 20): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await pred())) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await sleep(everyMs);
  }
}

// ------------------------------------------------------------------ tables

export function table(headers: string[], rows: Array<Array<string | number>>): string {
  const cells = rows.map((r) => r.map((c) => (typeof c === "number" ? (Number.isFinite(c) ? String(c) : "n/a") : c)));
  const widths = headers.map((h, i) => Math.max(h.length, ...cells.map((r) => (r[i] ?? "").length)));
  const line = (r: string[]) => "| " + r.map((c, i) => c.padEnd(widths[i]!)).join(" | ") + " |";
  return [line(headers), "|" + widths.map((w) => "-".repeat(w + 2)).join("|") + "|", ...cells.map(line)].join("\n");
}

// ------------------------------------------------------------------ load generation

export interface HttpTarget {
  url: string;
  method?: string;
  headers?: Record<string, string>;
  /** Called per request; return undefined for no body. */
  body?: (i: number) => string | undefined;
}

export interface LoadResult {
  sent: number;
  completed: number;
  errors: number;
  /** Status code -> count (0 = transport error or timeout). */
  statuses: Record<number, number>;
  /** Latency per completed request, ms (fixed rate: from its scheduled send time). */
  latencies: number[];
  /** Scheduled (fixed rate) or actual (closed loop) send time per latency, performance.now() ms. */
  sentAt: number[];
  /** Response bodies, when `keepBodies` was asked for. */
  bodies: string[];
  elapsedMs: number;
}

export interface Summary {
  n: number;
  rps: number;
  p50: number;
  p90: number;
  p99: number;
  max: number;
  errors: number;
}

export function summarize(latencies: readonly number[], elapsedMs: number, errors = 0): Summary {
  const s = sortNumbers(latencies);
  return {
    n: s.length,
    rps: elapsedMs > 0 ? round((s.length * 1000) / elapsedMs, 0) : NaN,
    p50: round(percentile(s, 50), 2),
    p90: round(percentile(s, 90), 2),
    p99: round(percentile(s, 99), 2),
    max: round(s.length ? s[s.length - 1]! : NaN, 2),
    errors,
  };
}

function oneRequest(agent: http.Agent, t: HttpTarget, i: number, timeoutMs: number, keepBody: boolean): Promise<{ status: number; body: string }> {
  return new Promise((resolve) => {
    const u = new URL(t.url);
    const body = t.body?.(i);
    const headers: Record<string, string | number> = { ...(t.headers ?? {}) };
    if (body !== undefined) {
      headers["content-type"] ??= "application/json";
      headers["content-length"] = Buffer.byteLength(body);
    }
    let settled = false;
    const done = (status: number, text: string) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      resolve({ status, body: text });
    };
    const req = http.request({ host: u.hostname, port: u.port, path: u.pathname + u.search, method: t.method ?? "GET", headers, agent }, (res) => {
      const chunks: Buffer[] = [];
      res.on("data", (c: Buffer) => {
        if (keepBody) chunks.push(c);
      });
      res.on("end", () => done(res.statusCode ?? 0, keepBody ? Buffer.concat(chunks).toString("utf8") : ""));
      res.on("error", () => done(0, ""));
    });
    const timer = setTimeout(() => {
      req.destroy(new Error("timeout"));
      done(0, "timeout");
    }, timeoutMs);
    req.on("error", (e) => done(0, e.message));
    if (body !== undefined) req.write(body);
    req.end();
  });
}

/**
 * Open model: requests are scheduled at a fixed rate whatever the server does, and each latency is
 * measured from the request's scheduled send time, so a stalled server cannot hide its stall by
 * slowing the generator down (coordinated omission). Bounded by `durationMs` plus `timeoutMs`.
 */
export async function fixedRate(
  t: HttpTarget,
  opts: { rate: number; durationMs: number; timeoutMs?: number; maxSockets?: number; keepBodies?: boolean; stop?: () => boolean },
): Promise<LoadResult> {
  const agent = new http.Agent({ keepAlive: true, maxSockets: opts.maxSockets ?? 64 });
  const timeoutMs = opts.timeoutMs ?? 10_000;
  const interval = 1000 / opts.rate;
  const total = Math.floor((opts.durationMs / 1000) * opts.rate);
  const res: LoadResult = { sent: 0, completed: 0, errors: 0, statuses: {}, latencies: [], sentAt: [], bodies: [], elapsedMs: 0 };
  const pending: Promise<void>[] = [];
  const start = performance.now();
  let i = 0;
  while (i < total) {
    if (opts.stop?.()) break;
    const now = performance.now();
    while (i < total && start + i * interval <= now) {
      const scheduled = start + i * interval;
      const idx = i++;
      res.sent += 1;
      pending.push(
        oneRequest(agent, t, idx, timeoutMs, opts.keepBodies ?? false).then(({ status, body }) => {
          res.statuses[status] = (res.statuses[status] ?? 0) + 1;
          if (status === 0) {
            res.errors += 1;
            return;
          }
          res.completed += 1;
          res.latencies.push(performance.now() - scheduled);
          res.sentAt.push(scheduled);
          if (opts.keepBodies) res.bodies.push(body);
        }),
      );
    }
    const next = start + i * interval;
    await sleep(Math.max(0, Math.min(5, next - performance.now())));
  }
  await Promise.all(pending);
  res.elapsedMs = performance.now() - start;
  agent.destroy();
  return res;
}

/** Closed model (saturation): `concurrency` clients each send the next request on the previous answer. */
export async function closedLoop(
  t: HttpTarget,
  opts: { concurrency: number; durationMs: number; maxRequests?: number; timeoutMs?: number; keepBodies?: boolean },
): Promise<LoadResult> {
  const agent = new http.Agent({ keepAlive: true, maxSockets: opts.concurrency });
  const timeoutMs = opts.timeoutMs ?? 10_000;
  const res: LoadResult = { sent: 0, completed: 0, errors: 0, statuses: {}, latencies: [], sentAt: [], bodies: [], elapsedMs: 0 };
  const start = performance.now();
  const end = start + opts.durationMs;
  const max = opts.maxRequests ?? Number.MAX_SAFE_INTEGER;
  let i = 0;
  const client = async () => {
    while (performance.now() < end && i < max) {
      const idx = i++;
      res.sent += 1;
      const sent = performance.now();
      const { status, body } = await oneRequest(agent, t, idx, timeoutMs, opts.keepBodies ?? false);
      res.statuses[status] = (res.statuses[status] ?? 0) + 1;
      if (status === 0) {
        res.errors += 1;
        continue;
      }
      res.completed += 1;
      res.latencies.push(performance.now() - sent);
      res.sentAt.push(sent);
      if (opts.keepBodies) res.bodies.push(body);
    }
  };
  await Promise.all(Array.from({ length: opts.concurrency }, client));
  res.elapsedMs = performance.now() - start;
  agent.destroy();
  return res;
}

// ------------------------------------------------------------------ fixtures

export function tempDir(prefix: string): string {
  return mkdtempSync(join(tmpdir(), `argus-${prefix}-`));
}

export function removeDir(dir: string): void {
  rmSync(dir, { recursive: true, force: true });
}

export function newKey(): string {
  return randomBytes(32).toString("base64");
}

export function apiToken(): string {
  return `bench_${randomBytes(24).toString("hex")}`;
}

export function camera(i: number): Camera {
  const hex = i.toString(16).padStart(12, "0");
  return {
    id: `00000000-0000-4000-8000-${hex}`,
    name: `Camera ${i}`,
    type: i % 3 === 0 ? "protect" : i % 3 === 1 ? "rtsp" : "usb",
    source_type: i % 3 === 0 ? "protect" : i % 3 === 1 ? "rtsp" : "usb",
    is_doorbell: i % 10 === 0,
    is_enabled: true,
    created_at: "2025-01-01T00:00:00.000Z",
    updated_at: "2025-01-01T00:00:00.000Z",
  };
}

export function cameras(n: number): Camera[] {
  return Array.from({ length: n }, (_, i) => camera(i));
}

/** Writes `n` cameras into a fresh data folder's database (before the service first starts). */
export function seedCameras(dataDir: string, encryptionKeyB64: string, n: number): void {
  const store = openStore({ file: databasePath(dataDir), box: new SecretBox(Buffer.from(encryptionKeyB64, "base64")) });
  try {
    const insert = store.db.prepare(
      "INSERT INTO cameras (id, name, type, source_type, is_doorbell, is_enabled, created_at, updated_at) VALUES (@id, @name, @type, @source_type, @is_doorbell, @is_enabled, @created_at, @updated_at)",
    );
    store.db.transaction(() => {
      for (const c of cameras(n)) insert.run({ ...c, is_doorbell: c.is_doorbell ? 1 : 0, is_enabled: c.is_enabled ? 1 : 0 });
    })();
  } finally {
    store.close();
  }
}

export function mqttSettings(port: number, over: Partial<MqttSettings> = {}): MqttSettings {
  return defaultMqttSettings({ broker_host: "127.0.0.1", broker_port: port, ha_birth_delay_max_ms: 30, ...over });
}

// ------------------------------------------------------------------ service output and memory

export interface LogLine {
  /** Epoch ms (pino writes an ISO string or a number; both are normalised here). */
  time?: number;
  level?: number;
  msg?: string;
  [k: string]: unknown;
}

/** Parses the pino JSON lines of a service's combined output (non-JSON lines are skipped). */
export function logLines(output: string, from = 0): LogLine[] {
  const out: LogLine[] = [];
  for (const line of output.slice(from).split("\n")) {
    if (!line.startsWith("{")) continue;
    try {
      const l = JSON.parse(line) as LogLine & { time?: number | string };
      if (typeof l.time === "string") l.time = Date.parse(l.time);
      out.push(l as LogLine);
    } catch {
      /* a partial last line */
    }
  }
  return out;
}

/** RSS (whole process, all threads) and its peak, from /proc; MB. */
export function processMemory(pid: number): { rss_mb: number; peak_mb: number } {
  try {
    const status = readFileSync(`/proc/${pid}/status`, "utf8");
    const kb = (k: string) => Number(new RegExp(`^${k}:\\s+(\\d+) kB`, "m").exec(status)?.[1] ?? NaN);
    return { rss_mb: round(kb("VmRSS") / 1024, 1), peak_mb: round(kb("VmHWM") / 1024, 1) };
  } catch {
    return { rss_mb: NaN, peak_mb: NaN };
  }
}

/**
 * CPU time of one thread (task) so far, from /proc/<pid>/task/<tid>/schedstat: time it ran and time
 * it spent runnable but waiting for a core. The main thread's tid is the pid.
 */
export function threadSchedule(pid: number, tid = pid): { run_ms: number; wait_ms: number } {
  try {
    const [run, wait] = readFileSync(`/proc/${pid}/task/${tid}/schedstat`, "utf8").trim().split(/\s+/).map(Number);
    return { run_ms: (run ?? NaN) / 1e6, wait_ms: (wait ?? NaN) / 1e6 };
  } catch {
    return { run_ms: NaN, wait_ms: NaN };
  }
}

export function machine(): { nproc: number; cpu: string; node: string; mem_gb: number } {
  let cpu = "unknown";
  let memKb = NaN;
  try {
    cpu = /^model name\s*:\s*(.+)$/m.exec(readFileSync("/proc/cpuinfo", "utf8"))?.[1]?.trim() ?? cpu;
    memKb = Number(/^MemTotal:\s+(\d+)/m.exec(readFileSync("/proc/meminfo", "utf8"))?.[1] ?? NaN);
  } catch {
    /* not Linux */
  }
  return { nproc: navigatorCores(), cpu, node: process.version, mem_gb: round(memKb / 1024 / 1024, 1) };
}

function navigatorCores(): number {
  try {
    return Number(readFileSync("/sys/fs/cgroup/cpu.max", "utf8").split(" ")[0]) / 100000 || osCores();
  } catch {
    return osCores();
  }
}

import { availableParallelism } from "node:os";
function osCores(): number {
  return availableParallelism();
}

/** Parses `--name=value` and `--flag` arguments. */
export function parseArgs(argv: string[]): Map<string, string> {
  const m = new Map<string, string>();
  for (const a of argv) {
    const r = /^--([^=]+)(?:=(.*))?$/.exec(a);
    if (r) m.set(r[1]!, r[2] ?? "true");
  }
  return m;
}

/** Median of each figure over repetitions; errors are summed. */
export function medianSummary(list: Summary[]): Summary {
  return {
    n: median(list.map((s) => s.n)),
    rps: median(list.map((s) => s.rps)),
    p50: median(list.map((s) => s.p50)),
    p90: median(list.map((s) => s.p90)),
    p99: median(list.map((s) => s.p99)),
    max: median(list.map((s) => s.max)),
    errors: list.reduce((a, s) => a + s.errors, 0),
  };
}
