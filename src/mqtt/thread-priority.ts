/**
 * Lowers the CPU priority of the calling thread only. On Linux a thread is a task with its own id
 * (read from /proc/thread-self) and setpriority() on that id changes that thread alone, so the MQTT
 * worker can yield the cores to the HTTP thread during a 60,000-message republish while both stay in
 * one process. Raising priority needs privileges, lowering it does not. Elsewhere it reports why not.
 */
import { readlinkSync } from "node:fs";
import { getPriority, setPriority } from "node:os";

export type PriorityResult = { ok: true; tid: number; nice: number } | { ok: false; reason: string };

export function currentThreadId(readLink: (path: string) => string = readlinkSync): number | null {
  try {
    // "/proc/thread-self" -> "<pid>/task/<tid>"
    const tid = Number(readLink("/proc/thread-self").split("/").pop());
    return Number.isInteger(tid) && tid > 0 ? tid : null;
  } catch {
    return null;
  }
}

export function lowerThreadPriority(nice: number): PriorityResult {
  if (!Number.isInteger(nice) || nice < 0 || nice > 19) return { ok: false, reason: `nice must be an integer 0-19, got ${nice}` };
  if (nice === 0) return { ok: false, reason: "disabled (nice 0)" };
  const tid = currentThreadId();
  if (tid === null) return { ok: false, reason: "per-thread priority needs Linux /proc/thread-self" };
  try {
    // Never raise it: a process started with a higher nice keeps it.
    const target = Math.max(nice, getPriority(tid));
    setPriority(tid, target);
    return { ok: true, tid, nice: getPriority(tid) };
  } catch (e) {
    return { ok: false, reason: e instanceof Error ? e.message : String(e) };
  }
}
