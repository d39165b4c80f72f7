/**
 * The real service as a child process (test/helpers/process.ts), with a seeded data folder, a fixed
 * admin key and helpers to follow its JSON log.
 */
import { spawn } from "node:child_process";
import { MAIN, spawnService, type ServiceProcess } from "../test/helpers/process.js";
import { apiToken, logLines, newKey, removeDir, seedCameras, sleep, tempDir, type LogLine } from "./lib.js";

export interface BenchService {
  svc: ServiceProcess;
  url: string;
  token: string;
  dataDir: string;
  key: string;
  env: Record<string, string>;
  watch: LogWatch;
  /** SIGTERM, bounded; SIGKILL after `graceMs`. */
  stop(graceMs?: number): Promise<number | null>;
  kill(): Promise<void>;
  /** Remove the data folder (after stop). */
  cleanup(): void;
}

/** Follows a growing output string and hands out complete, parsed JSON lines once. */
export class LogWatch {
  private offset = 0;
  readonly seen: LogLine[] = [];
  constructor(private readonly output: () => string) {}
  poll(): LogLine[] {
    const text = this.output();
    const end = text.lastIndexOf("\n");
    if (end < this.offset) return [];
    const fresh = logLines(text.slice(this.offset, end + 1));
    this.offset = end + 1;
    for (const l of fresh) if (l.msg !== "request") this.seen.push(l);
    return fresh;
  }
  /** Waits for a (non-request) line matching `pred`, looking at lines seen after `afterIndex`. */
  async waitFor(pred: (l: LogLine) => boolean, timeoutMs: number, what: string, afterIndex = 0): Promise<LogLine> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      this.poll();
      for (let i = afterIndex; i < this.seen.length; i++) if (pred(this.seen[i]!)) return this.seen[i]!;
      if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
      await sleep(25);
    }
  }
  get mark(): number {
    this.poll();
    return this.seen.length;
  }
}

export interface ServiceOptions {
  cameras?: number;
  env?: Record<string, string>;
  dataDir?: string;
  key?: string;
  token?: string;
  startTimeoutMs?: number;
}

export async function startBenchService(opts: ServiceOptions): Promise<BenchService> {
  const fresh = !opts.dataDir;
  const dataDir = opts.dataDir ?? tempDir("bench-svc");
  const key = opts.key ?? newKey();
  const token = opts.token ?? apiToken();
  if (fresh && opts.cameras) seedCameras(dataDir, key, opts.cameras);
  const env: Record<string, string> = {
    DATA_DIR: dataDir,
    ENCRYPTION_KEY: key,
    API_KEY: token,
    LOG_LEVEL: "info",
    WORKER_HEALTH_INTERVAL_MS: "600000",
    ...(opts.env ?? {}),
  };
  // Profiling on demand: every thread of the service writes a .cpuprofile when it exits.
  const prof = process.env.BENCH_CPU_PROF_DIR;
  const svc = prof ? await spawnWithArgs(env, ["--cpu-prof", `--cpu-prof-dir=${prof}`], opts.startTimeoutMs ?? 60_000) : await spawnService(env, opts.startTimeoutMs ?? 60_000);
  const watch = new LogWatch(svc.output);
  let exitCode: number | null | undefined;
  void svc.exited.then((c) => (exitCode = c));
  return {
    svc,
    url: svc.url,
    token,
    dataDir,
    key,
    env,
    watch,
    async stop(graceMs = 15_000) {
      if (exitCode !== undefined || svc.child.exitCode !== null || svc.child.signalCode !== null) return exitCode ?? svc.child.exitCode;
      svc.child.kill("SIGTERM");
      const t = setTimeout(() => svc.child.kill("SIGKILL"), graceMs);
      const code = await svc.exited;
      clearTimeout(t);
      return code;
    },
    async kill() {
      if (svc.child.exitCode !== null || svc.child.signalCode !== null) return;
      svc.child.kill("SIGKILL");
      await svc.exited;
    },
    cleanup() {
      removeDir(dataDir);
    },
  };
}

export function authHeaders(token: string): Record<string, string> {
  return { authorization: `Bearer ${token}` };
}

export const isReconcileDone = (l: LogLine) => l.msg === "discovery reconcile done";
export const isConnected = (l: LogLine) => l.msg === "mqtt connected";

/** spawnService with extra node flags (the helper has none; --cpu-prof is refused in NODE_OPTIONS). */
async function spawnWithArgs(env: Record<string, string>, nodeArgs: string[], timeoutMs: number): Promise<ServiceProcess> {
  const child = spawn(process.execPath, [...nodeArgs, MAIN], {
    env: { PATH: process.env.PATH ?? "", HOST: "127.0.0.1", PORT: "0", EMBEDDED_BROKER: "false", LOG_LEVEL: "info", ...env },
    stdio: ["ignore", "pipe", "pipe"],
    cwd: env.DATA_DIR ?? process.cwd(),
  });
  let out = "";
  child.stdout.on("data", (d) => (out += d));
  child.stderr.on("data", (d) => (out += d));
  const exited = new Promise<number | null>((resolve) => child.on("exit", (code) => resolve(code)));
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const m = /"url":"(http:\/\/127\.0\.0\.1:\d+)"[^\n]*argus-bridge listening/.exec(out);
    if (m) return { child, url: m[1]!, output: () => out, exited };
    if (child.exitCode !== null || Date.now() > deadline) throw new Error(`service did not start:\n${out}`);
    await sleep(25);
  }
}
