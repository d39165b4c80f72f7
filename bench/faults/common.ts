/** Pieces shared by the fault scenarios: the row they report, an event stream, delivery accounting. */
import Database from "better-sqlite3";
import { databasePath } from "../../src/store/store.js";
import { eventBody, eventCounter, hasEventsRoute } from "../events.js";
import { fixedRate, sleep, waitFor, type LoadResult } from "../lib.js";
import { authHeaders, type BenchService } from "../service.js";

export interface FaultRow {
  scenario: string;
  runs: number;
  sent: number | string;
  lost: number | string;
  duplicates: number | string;
  errors: number;
  ok: boolean;
  notes: string;
}

export type Counter = Awaited<ReturnType<typeof eventCounter>>;

export { eventCounter, hasEventsRoute };

/** POSTs events at a fixed rate until `stop()` or `durationMs`; returns the load result with bodies. */
export function eventStream(s: { url: string; token: string }, rate: number, durationMs: number, stop?: () => boolean): Promise<LoadResult> {
  return fixedRate(
    { url: `${s.url}/api/v1/events`, method: "POST", headers: authHeaders(s.token), body: (i) => eventBody(i + Math.floor(Math.random() * 1e6)) },
    { rate, durationMs, keepBodies: true, timeoutMs: 15_000, ...(stop ? { stop } : {}) },
  );
}

/** Ids of the events the service accepted (201 bodies). */
export function acceptedIds(results: LoadResult[]): Set<string> {
  const ids = new Set<string>();
  for (const r of results)
    for (const b of r.bodies) {
      try {
        const id = (JSON.parse(b) as { id?: string }).id;
        if (id) ids.add(id);
      } catch {
        /* problem+json or not JSON */
      }
    }
  return ids;
}

export function count5xx(results: LoadResult[]): number {
  let n = 0;
  for (const r of results) for (const [code, c] of Object.entries(r.statuses)) if (Number(code) >= 500) n += c;
  return n;
}

/** Event ids still waiting in the service's outbox (read-only look at its SQLite file). */
export function pendingEventIds(dataDir: string): Set<string> {
  try {
    const db = new Database(databasePath(dataDir), { readonly: true, fileMustExist: true });
    try {
      return new Set((db.prepare("SELECT event_id FROM outbox WHERE kind IN ('event', 'event_bundle') AND event_id IS NOT NULL").all() as Array<{ event_id: string }>).map((r) => r.event_id));
    } finally {
      db.close();
    }
  } catch {
    return new Set();
  }
}

export interface Settled {
  /** Accepted, not seen by the subscriber and not acknowledged by the broker (still in the outbox or gone). */
  lost: number;
  duplicates: number;
  /** Acknowledged by the broker (left the outbox) but never reached the subscriber: lost by a SIGKILLed broker without persistence. */
  brokerLost: number;
}

/**
 * Waits (bounded) until every accepted id reached the subscriber or left the outbox (PUBACK), then
 * counts. Without `dataDir` an unseen id is simply lost.
 */
export async function settle(accepted: Set<string>, counter: Counter, timeoutMs = 45_000, dataDir?: string): Promise<Settled> {
  const unseen = () => [...accepted].filter((id) => !counter.counts.has(id));
  await waitFor(
    () => {
      const u = unseen();
      if (u.length === 0) return true;
      if (!dataDir) return false;
      const pending = pendingEventIds(dataDir);
      return u.every((id) => !pending.has(id));
    },
    timeoutMs,
    "every event delivered",
    250,
  ).catch(() => undefined);
  await sleep(500);
  const u = unseen();
  const pending = dataDir ? pendingEventIds(dataDir) : null;
  const brokerLost = pending ? u.filter((id) => !pending.has(id)).length : 0;
  let duplicates = 0;
  for (const id of accepted) duplicates += Math.max(0, (counter.counts.get(id) ?? 0) - 1);
  return { lost: u.length - brokerLost, duplicates, brokerLost };
}

/** Lines of the service's output that mention an unhandled rejection or exception. */
export function unhandledLines(output: string): string[] {
  return output.split("\n").filter((l) => /unhandled/i.test(l));
}

export async function healthOk(s: BenchService): Promise<boolean> {
  try {
    return (await fetch(`${s.url}/api/v1/health`)).status === 200;
  } catch {
    return false;
  }
}

export function row(scenario: string, runs: number, sent: number | string, lost: number | string, duplicates: number | string, errors: number, notes: string): FaultRow {
  const ok = errors === 0 && (typeof lost !== "number" || lost === 0);
  return { scenario, runs, sent, lost, duplicates, errors, ok, notes };
}
