/**
 * The activity binary sensor: ON with each event, OFF after ACTIVITY_TIMEOUT_S without a new one.
 * One timer per camera (re-armed by each event), never a scan. The window runs from the moment an
 * event arrives; after a restart it is recomputed from the newest stored event's arrival time.
 */
export class ActivityTimers {
  private readonly timers = new Map<string, NodeJS.Timeout>();
  /** Arrival time (epoch ms) of each camera's newest event. */
  private readonly lastArrival = new Map<string, number>();

  constructor(
    readonly timeoutMs: number,
    private readonly onExpire: (cameraId: string) => void,
  ) {}

  /** An event arrived (or, at start, arrived at `at`): the sensor is ON until `at + timeout`. */
  touch(cameraId: string, at: number): void {
    this.lastArrival.set(cameraId, Math.max(at, this.lastArrival.get(cameraId) ?? 0));
    this.arm(cameraId);
  }

  isOn(cameraId: string, now = Date.now()): boolean {
    const at = this.lastArrival.get(cameraId);
    return at !== undefined && now < at + this.timeoutMs;
  }

  /** Active cameras only: whether the timer is still pending. */
  pending(cameraId: string): boolean {
    return this.timers.has(cameraId);
  }

  cancel(cameraId: string): void {
    const t = this.timers.get(cameraId);
    if (t) clearTimeout(t);
    this.timers.delete(cameraId);
    this.lastArrival.delete(cameraId);
  }

  stop(): void {
    for (const t of this.timers.values()) clearTimeout(t);
    this.timers.clear();
  }

  private arm(cameraId: string): void {
    const old = this.timers.get(cameraId);
    if (old) clearTimeout(old);
    const due = (this.lastArrival.get(cameraId) ?? 0) + this.timeoutMs;
    const t = setTimeout(() => {
      this.timers.delete(cameraId);
      // A touch that raced this timer re-armed it: only expire when the window really ended.
      if (this.isOn(cameraId)) this.arm(cameraId);
      else this.onExpire(cameraId);
    }, Math.max(0, due - Date.now()));
    t.unref(); // the HTTP server keeps the process alive; a timer must not hold a shutdown
    this.timers.set(cameraId, t);
  }
}
