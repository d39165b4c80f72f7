/**
 * Group commit: writes submitted during one event-loop turn share ONE SQLite transaction, and each
 * caller's promise settles only after that transaction committed (or failed). Under load the
 * requests that finished reading their bodies in the same poll phase are written together: one
 * BEGIN/COMMIT and one WAL append of the shared pages instead of one per request, so fewer WAL
 * frames and fewer checkpoints (each of which fsyncs on the main thread). Alone, a write waits
 * only for the check phase of the same turn (setImmediate), not for a timer.
 *
 * Each job runs in its own savepoint: a job that throws is rolled back alone and rejects alone;
 * the others still commit. If the outer COMMIT fails, every job of the batch rejects and
 * `onRollback` runs so callers can drop in-memory state they advanced inside the transaction.
 */
import type { Db } from "../store/database.js";

export interface GroupCommitOptions<J, R> {
  db: Db;
  /** Runs inside the batch transaction (in a savepoint of its own). */
  write: (job: J) => R;
  /** After the COMMIT, with the jobs that were written, in submission order. */
  committed: (done: ReadonlyArray<{ job: J; result: R }>) => void;
  /** After a failed batch (nothing of it was committed). */
  onRollback?: () => void;
  /** `committed` threw (the jobs are committed and answered all the same). */
  onError?: (err: unknown) => void;
  /** Jobs per transaction; more wait for the next transaction of the same flush. */
  maxBatch?: number;
}

interface Pending<J, R> {
  job: J;
  resolve: (r: R) => void;
  reject: (err: unknown) => void;
}

type Outcome<R> = { ok: true; result: R } | { ok: false; err: unknown };

export class GroupCommit<J, R> {
  private queue: Pending<J, R>[] = [];
  private scheduled = false;
  private readonly maxBatch: number;
  // Built once: better-sqlite3's db.transaction() builds several wrapper functions per call.
  private readonly writeOne: (job: J) => R;
  private readonly writeBatch: (batch: Pending<J, R>[]) => Outcome<R>[];

  constructor(private readonly o: GroupCommitOptions<J, R>) {
    this.maxBatch = o.maxBatch ?? 256;
    this.writeOne = o.db.transaction((job: J) => o.write(job)); // nested: a savepoint
    this.writeBatch = o.db.transaction((batch: Pending<J, R>[]) =>
      batch.map((p): Outcome<R> => {
        try {
          return { ok: true, result: this.writeOne(p.job) };
        } catch (err) {
          return { ok: false, err };
        }
      }),
    );
  }

  /** Resolves with the job's result once it is committed; rejects if it was not. */
  submit(job: J): Promise<R> {
    return new Promise<R>((resolve, reject) => {
      this.queue.push({ job, resolve, reject });
      if (!this.scheduled) {
        this.scheduled = true;
        setImmediate(() => this.flush());
      }
    });
  }

  /** Jobs waiting for their transaction (tests). */
  get waiting(): number {
    return this.queue.length;
  }

  private flush(): void {
    this.scheduled = false;
    while (this.queue.length > 0) {
      const batch = this.queue.length <= this.maxBatch ? this.queue : this.queue.slice(0, this.maxBatch);
      this.queue = batch === this.queue ? [] : this.queue.slice(this.maxBatch);
      this.run(batch);
    }
  }

  private run(batch: Pending<J, R>[]): void {
    let outcomes: Outcome<R>[];
    try {
      if (!this.o.db.open) throw new Error("The database is closed.");
      outcomes = this.writeBatch(batch);
    } catch (err) {
      this.o.onRollback?.();
      for (const p of batch) p.reject(err);
      return;
    }
    const done: { job: J; result: R }[] = [];
    for (let i = 0; i < batch.length; i++) {
      const out = outcomes[i]!;
      if (out.ok) done.push({ job: batch[i]!.job, result: out.result });
    }
    try {
      if (done.length > 0) this.o.committed(done);
    } catch (err) {
      this.o.onError?.(err); // committed all the same: the callers still get their answers
    }
    for (let i = 0; i < batch.length; i++) {
      const out = outcomes[i]!;
      if (out.ok) batch[i]!.resolve(out.result);
      else batch[i]!.reject(out.err);
    }
  }
}
