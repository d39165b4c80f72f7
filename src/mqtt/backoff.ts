/**
 * Exponential backoff with full jitter, bounded below by `min_ms`: attempt n waits a uniformly
 * random time in [min, min(max, min * 2^n)]. Pure apart from the injectable random source.
 */
export interface BackoffOptions {
  min_ms: number;
  max_ms: number;
  /** Returns a number in [0, 1); defaults to Math.random. */
  random?: () => number;
}

export class Backoff {
  private attemptCount = 0;
  private readonly min: number;
  private readonly max: number;
  private readonly random: () => number;

  constructor(opts: BackoffOptions) {
    this.min = Math.max(0, opts.min_ms);
    this.max = Math.max(this.min, opts.max_ms);
    this.random = opts.random ?? Math.random;
  }

  /** Number of delays handed out since the last reset. */
  get attempt(): number {
    return this.attemptCount;
  }

  /** Upper bound of the delay for a given attempt number (0-based). */
  ceiling(attempt: number): number {
    // 2^attempt overflows to Infinity for large attempts; Math.min keeps it bounded.
    const exp = this.min * Math.pow(2, Math.min(attempt, 62));
    return Math.min(this.max, Math.max(this.min, exp));
  }

  /** Delay for the next attempt; advances the attempt counter. */
  next(): number {
    const cap = this.ceiling(this.attemptCount);
    this.attemptCount += 1;
    return Math.round(this.min + this.random() * (cap - this.min));
  }

  reset(): void {
    this.attemptCount = 0;
  }
}
