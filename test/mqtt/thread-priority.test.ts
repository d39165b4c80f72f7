/**
 * The MQTT worker lowers its own thread's priority only: the HTTP (main) thread keeps the process's.
 */
import { readdirSync, readFileSync } from "node:fs";
import { getPriority } from "node:os";
import { Worker } from "node:worker_threads";
import { test } from "uvu";
import * as assert from "uvu/assert";
import { createMqttActor } from "../../src/mqtt/supervisor.js";
import { currentThreadId, lowerThreadPriority } from "../../src/mqtt/thread-priority.js";
import { FAST_OPTIONS, makeSettings } from "../helpers/mqtt-probe.js";

const moduleUrl = new URL("../../src/mqtt/thread-priority.js", import.meta.url).href;

function inWorker(nice: number): Promise<{ result: { ok: boolean; tid?: number; nice?: number; reason?: string }; tid: number | null }> {
  const code = `
    import { parentPort } from "node:worker_threads";
    import { currentThreadId, lowerThreadPriority } from ${JSON.stringify(moduleUrl)};
    const result = lowerThreadPriority(${nice});
    parentPort.postMessage({ result, tid: currentThreadId() });
  `;
  const w = new Worker(new URL(`data:text/javascript,${encodeURIComponent(code)}`));
  return new Promise((resolve, reject) => {
    w.once("message", (m) => {
      resolve(m);
      void w.terminate();
    });
    w.once("error", reject);
  });
}

const linux = process.platform === "linux";

(linux ? test : test.skip)("a worker lowers its own thread's priority; the main thread keeps its own", async () => {
  const before = getPriority(process.pid);
  const { result, tid } = await inWorker(Math.min(19, before + 7));
  assert.ok(result.ok, result.reason);
  assert.ok(tid !== null && tid !== process.pid, "the worker is its own task");
  assert.is(result.tid, tid);
  assert.is(result.nice, Math.min(19, before + 7));
  assert.is(getPriority(process.pid), before, "main thread unchanged");
  assert.is(currentThreadId(), process.pid, "the main thread's task id is the pid");
});

/** Nice values of this process's threads, from /proc/self/task/<tid>/stat (field 19). */
function threadNices(): number[] {
  return readdirSync("/proc/self/task").map((tid) => {
    const stat = readFileSync(`/proc/self/task/${tid}/stat`, "utf8");
    return Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[16]);
  });
}

(linux ? test : test.skip)("the supervisor's MQTT worker runs at the configured nice, the rest of the process does not", async () => {
  const before = getPriority(process.pid);
  const nice = Math.min(19, before + 6);
  const actor = createMqttActor({ mode: "worker", worker_nice: nice });
  try {
    // Port 1 on loopback: nothing listens; the worker starts and retries in backoff.
    await actor.start({ settings: makeSettings(1), cameras: [], state: [], app_version: "1", instance_id: "nice", options: FAST_OPTIONS }, () => undefined);
    const nices = threadNices();
    assert.is(nices.filter((n) => n === nice).length, 1, `exactly the worker thread: ${nices.join(",")}`);
    assert.is(getPriority(process.pid), before);
  } finally {
    await actor.close();
  }
});

test("bad or zero nice values change nothing", () => {
  const before = getPriority(process.pid);
  assert.equal(lowerThreadPriority(0), { ok: false, reason: "disabled (nice 0)" });
  for (const bad of [-1, 20, 1.5, Number.NaN]) assert.is(lowerThreadPriority(bad).ok, false);
  assert.is(getPriority(process.pid), before);
  assert.is(currentThreadId(() => "garbage"), null);
  assert.is(currentThreadId(() => { throw new Error("no /proc"); }), null);
});

test.run();
