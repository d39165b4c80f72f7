/**
 * Runs a real mosquitto on 127.0.0.1 for tests: temp config, free port chosen at runtime, optional
 * password file (mosquitto_passwd), stop/kill by PID, restart on the same port. Every instance is
 * registered so `killAllMosquitto()` (and process exit) can clean up even when a test fails.
 */
import type { Test } from "uvu";
import { setPriority } from "node:os";
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { existsSync, mkdtempSync, rmSync, writeFileSync, chmodSync } from "node:fs";
import { createConnection, createServer, type AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";

export const MOSQUITTO_BIN = process.env.MOSQUITTO_BIN ?? "/usr/sbin/mosquitto";
const PASSWD_BIN = process.env.MOSQUITTO_PASSWD_BIN ?? "/usr/bin/mosquitto_passwd";

/** True when mosquitto can be used; with REQUIRE_MOSQUITTO=1 a missing binary throws. */
export function mosquittoAvailable(): boolean {
  const ok = existsSync(MOSQUITTO_BIN);
  if (!ok && process.env.REQUIRE_MOSQUITTO === "1") throw new Error(`REQUIRE_MOSQUITTO=1 but ${MOSQUITTO_BIN} is missing`);
  return ok;
}

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once("error", reject);
    srv.listen(0, "127.0.0.1", () => {
      const port = (srv.address() as AddressInfo).port;
      srv.close(() => resolve(port));
    });
  });
}

function canConnect(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const sock = createConnection({ host: "127.0.0.1", port });
    sock.once("connect", () => {
      sock.destroy();
      resolve(true);
    });
    sock.once("error", () => resolve(false));
  });
}

export interface MosquittoOptions {
  port?: number;
  users?: Array<{ username: string; password: string }>;
  /** Extra lines for the (single) listener, e.g. TLS cafile/certfile/keyfile. */
  listenerConfig?: string[];
  /** Extra global lines, e.g. `max_inflight_messages 1000` (benchmarks compare broker profiles). */
  brokerConfig?: string[];
  /** Start the broker at this nice value (benchmarks: a broker that yields the cores to the service). */
  nice?: number;
}

export interface Mosquitto {
  readonly port: number;
  readonly url: string;
  readonly pid: number | undefined;
  /** stderr log so far (for debugging failures). */
  readonly log: string;
  stop(): Promise<void>;
  kill(): Promise<void>;
  restart(): Promise<void>;
  /** Kill -9 and start again on the same port right away. */
  killAndRestart(): Promise<void>;
}

const running = new Set<ChildProcess>();
function killAllSync(): void {
  for (const c of running) {
    try {
      c.kill("SIGKILL");
    } catch {
      /* gone */
    }
  }
  running.clear();
}
process.on("exit", killAllSync);

export async function killAllMosquitto(): Promise<void> {
  killAllSync();
}

export async function startMosquitto(opts: MosquittoOptions = {}): Promise<Mosquitto> {
  mosquittoAvailable();
  const dir = mkdtempSync(join(tmpdir(), "argus-mosq-"));
  chmodSync(dir, 0o755);
  const port = opts.port ?? (await freePort());
  const lines = [`listener ${port} 127.0.0.1`, ...(opts.listenerConfig ?? []), "persistence false", "log_dest stderr", "log_type error", "log_type warning", "log_type notice", ...(opts.brokerConfig ?? [])];
  if (opts.users && opts.users.length > 0) {
    const pw = join(dir, "passwd");
    writeFileSync(pw, "");
    for (const u of opts.users) {
      const r = spawnSync(PASSWD_BIN, ["-b", pw, u.username, u.password], { encoding: "utf8" });
      if (r.status !== 0) throw new Error(`mosquitto_passwd failed: ${r.stderr}`);
    }
    chmodSync(pw, 0o644);
    lines.push("allow_anonymous false", `password_file ${pw}`);
  } else {
    lines.push("allow_anonymous true");
  }
  const conf = join(dir, "mosquitto.conf");
  writeFileSync(conf, lines.join("\n") + "\n");
  chmodSync(conf, 0o644);

  let child: ChildProcess | null = null;
  let log = "";

  const launch = async () => {
    const c = spawn(MOSQUITTO_BIN, ["-c", conf], { stdio: ["ignore", "ignore", "pipe"] });
    if (opts.nice && c.pid) setPriority(c.pid, opts.nice);
    child = c;
    running.add(c);
    c.stderr?.on("data", (d) => (log += d));
    c.on("exit", () => running.delete(c));
    const deadline = Date.now() + 10_000;
    for (;;) {
      if (c.exitCode !== null) throw new Error(`mosquitto exited early (${c.exitCode}): ${log}`);
      if (await canConnect(port)) return;
      if (Date.now() > deadline) throw new Error(`mosquitto did not accept connections on ${port}: ${log}`);
      await new Promise((r) => setTimeout(r, 25));
    }
  };

  const halt = async (signal: NodeJS.Signals) => {
    const c = child;
    child = null;
    if (!c || c.exitCode !== null || c.signalCode !== null) return;
    const exited = new Promise<void>((r) => c.once("exit", () => r()));
    c.kill(signal);
    const t = setTimeout(() => c.kill("SIGKILL"), 3000);
    await exited;
    clearTimeout(t);
    running.delete(c);
  };

  // Port reuse right after a kill can briefly fail: retry a few times.
  const launchRetry = async () => {
    for (let i = 0; ; i++) {
      try {
        await launch();
        return;
      } catch (e) {
        if (i >= 20) throw e;
        await new Promise((r) => setTimeout(r, 100));
      }
    }
  };

  await launchRetry();
  return {
    port,
    url: `mqtt://127.0.0.1:${port}`,
    get pid() {
      return (child as ChildProcess | null)?.pid;
    },
    get log() {
      return log;
    },
    async stop() {
      await halt("SIGTERM");
      rmSync(dir, { recursive: true, force: true });
    },
    async kill() {
      await halt("SIGKILL");
    },
    async restart() {
      await halt("SIGTERM");
      await launchRetry();
    },
    async killAndRestart() {
      await halt("SIGKILL");
      await launchRetry();
    },
  };
}

/**
 * Registers a uvu test that needs mosquitto: skipped (and reported so) when mosquitto is missing,
 * and always followed by killing the brokers it started and a check for unhandled rejections.
 */
export function mosquittoTest(test: Test, unhandled: readonly unknown[]): (name: string, fn: () => Promise<void>) => void {
  const have = mosquittoAvailable();
  return (name, fn) => {
    if (!have) return void test.skip(name, async () => undefined);
    test(name, async () => {
      try {
        await fn();
      } finally {
        await killAllMosquitto();
      }
      if (unhandled.length > 0) throw new Error(`unhandled rejections: ${unhandled.map(String).join("; ")}`);
    });
  };
}
