/**
 * 1,000 generated malformed or hostile requests across every route (from /openapi.json, plus the
 * debug routes and a few unknown paths): wrong types, huge and deep JSON, odd unicode, injection
 * strings, bad ids, wrong methods and content types, with and without a key. Target: zero 5xx, the
 * service alive afterwards, no unhandled rejection in its output.
 *
 * Safety: every generated string that could reach a host field contains characters a host name
 * cannot have, or is 127.0.0.1, so the MQTT connection test can only ever try loopback.
 */
import * as http from "node:http";
import { startMosquitto } from "../../test/helpers/mosquitto.js";
import { round, sleep } from "../lib.js";
import { startBenchService } from "../service.js";
import { healthOk, row, unhandledLines, type FaultRow } from "./common.js";

/** Small deterministic PRNG so a failing request can be reproduced by its seed and index. */
function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const STRINGS = [
  "' OR '1'='1' --",
  "\"; DROP TABLE cameras; --",
  "<script>alert(1)</script>",
  "{{7*7}} ${7*7} #{7*7}",
  "../../../../etc/passwd",
  "..%2f..%2f..%2fetc%2fpasswd",
  "\u0000nul\u0000",
  "\ud800 lone surrogate",
  "\u202eRTL override\u202c",
  "zero\u200bwidth\u200d joiner",
  "👨‍👩‍👧‍👦 family emoji",
  "Ǎ̴̡̛̖̯̱̗ͨͥ̔ zalgo",
  "\r\nX-Injected: header",
  "$(rm -rf /) `id`",
  "%s%s%s%n",
  "127.0.0.1",
  " ",
  "",
  "名前 カメラ",
  "a".repeat(300) + " long",
];
const NUMBERS = [-1, 0, 1.5, 1e308, -1e308, Number.MAX_SAFE_INTEGER + 2, 65536, 99999999999];
const IDS = ["not-a-uuid", "00000000-0000-0000-0000-000000000000", "../cameras", "%00", "'%20OR%201=1", "x".repeat(2000), "%F0%9F%92%A9", "%E2%80%AE", "null", "-1", "%ZZ", "ffffffff-ffff-4fff-bfff-ffffffffffff"];

function pick<T>(r: () => number, list: readonly T[]): T {
  return list[Math.floor(r() * list.length)]!;
}

function value(r: () => number, depth = 0): unknown {
  const k = Math.floor(r() * (depth > 2 ? 5 : 8));
  switch (k) {
    case 0:
      return pick(r, STRINGS);
    case 1:
      return pick(r, NUMBERS);
    case 2:
      return r() < 0.5;
    case 3:
      return null;
    case 4:
      return pick(r, ["true", "1", "yes", "NaN", "Infinity"]);
    case 5:
      return Array.from({ length: Math.floor(r() * 5) }, () => value(r, depth + 1));
    default: {
      const o: Record<string, unknown> = {};
      for (let i = 0; i < Math.floor(r() * 6); i++) o[pick(r, FIELDS)] = value(r, depth + 1);
      return o;
    }
  }
}

const FIELDS = ["name", "type", "camera_id", "description", "objects_detected", "confidence", "timestamp", "state", "broker_host", "broker_port", "username", "password", "enabled", "topic_prefix", "qos", "is_enabled", "__proto__", "constructor", "prototype", "limit", "cursor"];

function deepJson(levels: number): string {
  return "[".repeat(levels) + "]".repeat(levels);
}

interface Req {
  method: string;
  path: string;
  headers: Record<string, string>;
  body?: string | Buffer;
  label: string;
}

function generate(r: () => number, i: number, routes: Array<{ method: string; path: string }>, token: string): Req {
  const route = pick(r, routes);
  const auth: Record<string, string> = r() < 0.8 ? { authorization: `Bearer ${token}` } : r() < 0.5 ? { "x-api-key": pick(r, STRINGS).replace(/[^\x20-\x7e]/g, "?") } : {};
  let path = route.path.replace(/:([a-z_]+)|\{([a-z_]+)\}/gi, () => pick(r, IDS));
  let method = r() < 0.85 ? route.method.toUpperCase() : pick(r, ["GET", "POST", "PUT", "PATCH", "DELETE", "OPTIONS", "HEAD"]);
  if (r() < 0.15) path += `?${pick(r, ["limit=-5", "limit=abc", "since=yesterday", "cursor=%%%", "camera_id='%20OR%201=1", "a[b][c]=1", "limit=1e9", "x=" + "y".repeat(5000)])}`;
  const headers: Record<string, string> = { ...auth };
  let body: string | Buffer | undefined;
  let label = "typed garbage";
  const kind = i % 10;
  if (kind === 0) {
    body = Buffer.alloc(2 * 1024 * 1024, 0x5b); // 2 MiB of "[" (huge and deep)
    label = "2 MiB body";
  } else if (kind === 1) {
    body = deepJson(5000);
    label = "5,000-deep JSON";
  } else if (kind === 2) {
    body = "{\"name\": \"unterminated";
    label = "invalid JSON";
  } else if (kind === 3) {
    body = JSON.stringify({ name: pick(r, STRINGS), type: "rtsp" });
    headers["content-type"] = pick(r, ["text/plain", "application/x-www-form-urlencoded", "multipart/form-data; boundary=x", "application/json; charset=utf-7"]);
    label = "wrong content type";
  } else if (kind === 4) {
    body = Buffer.from([0xff, 0xfe, 0x00, 0x7b, 0xc3, 0x28, 0xa0, 0xa1]);
    label = "invalid UTF-8";
  } else if (kind === 5) {
    body = JSON.stringify(Array.from({ length: 20_000 }, (_, k) => ({ k, v: "x" })));
    label = "large array";
  } else {
    body = JSON.stringify(value(r));
  }
  headers["content-type"] ??= "application/json";
  if (method === "GET" || method === "HEAD") {
    if (r() < 0.7) body = undefined;
  }
  if (r() < 0.05) method = "PROPFIND";
  return { method, path, headers, body, label };
}

function send(agent: http.Agent, base: URL, q: Req): Promise<{ status: number; error: string | null }> {
  return new Promise((resolve) => {
    try {
      sendUnsafe(agent, base, q, resolve);
    } catch (e) {
      // The client refused to build it (an invalid header or path): nothing reached the server.
      resolve({ status: -1, error: (e as Error).message });
    }
  });
}

function sendUnsafe(agent: http.Agent, base: URL, q: Req, resolve: (v: { status: number; error: string | null }) => void): void {
  {
    const headers: Record<string, string | number> = { ...q.headers };
    if (q.body !== undefined) headers["content-length"] = Buffer.byteLength(q.body);
    const req = http.request({ host: base.hostname, port: base.port, path: q.path, method: q.method, headers, agent }, (res) => {
      res.resume();
      res.on("end", () => resolve({ status: res.statusCode ?? 0, error: null }));
      res.on("error", (e) => resolve({ status: res.statusCode ?? 0, error: e.message }));
    });
    req.setTimeout(15_000, () => req.destroy(new Error("timeout")));
    req.on("error", (e) => resolve({ status: 0, error: e.message }));
    if (q.body !== undefined) req.write(q.body);
    req.end();
  }
}

export async function hostileRequests(o: { quick: boolean; log: (s: string) => void }): Promise<FaultRow> {
  const total = o.quick ? 300 : 1000;
  const mosq = await startMosquitto();
  const s = await startBenchService({ cameras: 3, env: { MQTT_URL: mosq.url, DEBUG_ENDPOINTS_ENABLED: "true", DEBUG_NETWORK_TARGET: `127.0.0.1:${mosq.port}` } });
  try {
    const spec = (await (await fetch(`${s.url}/openapi.json`)).json()) as { paths?: Record<string, Record<string, unknown>> };
    const routes: Array<{ method: string; path: string }> = [];
    for (const [p, ops] of Object.entries(spec.paths ?? {})) for (const m of Object.keys(ops)) if (["get", "post", "put", "patch", "delete"].includes(m)) routes.push({ method: m, path: p });
    for (const p of ["/api/v1/system/debug/ai-keys", "/api/v1/system/debug/network", "/metrics", "/docs", "/openapi.json", "/api/v1/nope", "/%2e%2e/%2e%2e/etc/passwd"])
      if (!routes.some((x) => x.path === p)) routes.push({ method: "get", path: p });
    const r = rng(0xa5a5);
    const agent = new http.Agent({ keepAlive: true, maxSockets: 8 });
    const base = new URL(s.url);
    const statuses = new Map<number, number>();
    const fivexx: string[] = [];
    let transport = 0;
    let unknownMethod = 0;
    const queue = Array.from({ length: total }, (_, i) => generate(r, i, routes, s.token));
    let next = 0;
    const lane = async () => {
      while (next < queue.length) {
        const q = queue[next++]!;
        const res = await send(agent, base, q);
        statuses.set(res.status, (statuses.get(res.status) ?? 0) + 1);
        // 501 for a method the server does not recognise is RFC 9110's answer, not a server fault: counted apart.
        if (res.status === 501 && !["GET", "POST", "PUT", "PATCH", "DELETE", "OPTIONS", "HEAD"].includes(q.method)) unknownMethod += 1;
        else if (res.status >= 500) fivexx.push(`${q.method} ${q.path.slice(0, 80)} (${q.label}) -> ${res.status}`);
        if (res.status === 0) transport += 1;
      }
    };
    await Promise.all(Array.from({ length: 8 }, lane));
    agent.destroy();
    await sleep(300);
    const alive = s.svc.child.exitCode === null && (await healthOk(s));
    const unhandled = unhandledLines(s.svc.output()).length;
    const byStatus = [...statuses].sort((a, b) => a[0] - b[0]).map(([c, n]) => `${c}:${n}`).join(" ");
    for (const f of fivexx.slice(0, 10)) o.log(`  5xx: ${f}`);
    const errors = fivexx.length + unhandled + (alive ? 0 : 1);
    return row(`${total} hostile requests, ${routes.length} routes`, total, "-", "-", "-", errors, `statuses ${byStatus}; 501 for an unknown method (PROPFIND) ${unknownMethod}, not counted as errors; transport errors ${transport} (${round((100 * transport) / total, 1)}%), alive ${alive}, unhandled ${unhandled}`);
  } finally {
    await s.stop();
    s.cleanup();
    await mosq.stop();
  }
}
