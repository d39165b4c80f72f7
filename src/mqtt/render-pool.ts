/**
 * Renders discovery configs: inline for small installations, in a piscina pool above a camera-count
 * threshold so a 10,000-camera render never stalls the actor's event loop (keepalives, PUBACKs).
 * Rendering is pure (src/ha/discovery.ts); the pool only moves the CPU work to other threads.
 */
import { Piscina } from "piscina";
import type { Camera } from "../domain/camera.js";
import { renderDiscovery, type DiscoveryContext, type RetainedMessage } from "../ha/discovery.js";

export interface RenderTask {
  cameras: Camera[];
  ctx: DiscoveryContext;
}

export interface RenderPoolOptions {
  threshold: number;
  threads: number;
  /** Override for tests; defaults to the compiled workers/render-discovery.js. */
  filename?: URL;
}

const DEFAULT_TASK = new URL("../../workers/render-discovery.js", import.meta.url);

export class RenderPool {
  private pool: Piscina<RenderTask, RetainedMessage[]> | null = null;
  private closed = false;
  /** How many renders went through the pool (tests and health use it). */
  pooledRenders = 0;

  constructor(private opts: RenderPoolOptions) {}

  configure(opts: Partial<RenderPoolOptions>): void {
    this.opts = { ...this.opts, ...opts };
  }

  /** Whether `render` of this many enabled cameras would use the pool (else it renders inline). */
  pools(enabledCount: number): boolean {
    return !this.closed && enabledCount > this.opts.threshold && this.opts.threads >= 1;
  }

  async render(cameras: Camera[], ctx: DiscoveryContext): Promise<RetainedMessage[]> {
    const enabled = cameras.filter((c) => c.is_enabled);
    if (!this.pools(enabled.length)) {
      return renderDiscovery(enabled, ctx);
    }
    const pool = this.ensurePool();
    const chunks = Math.max(1, Math.min(this.opts.threads * 2, Math.ceil(enabled.length / 250)));
    const size = Math.ceil(enabled.length / chunks);
    const parts: Promise<RetainedMessage[]>[] = [];
    for (let i = 0; i < enabled.length; i += size) {
      parts.push(pool.run({ cameras: enabled.slice(i, i + size), ctx }));
    }
    this.pooledRenders += 1;
    const done = await Promise.all(parts);
    return done.flat();
  }

  private ensurePool(): Piscina<RenderTask, RetainedMessage[]> {
    if (!this.pool) {
      this.pool = new Piscina<RenderTask, RetainedMessage[]>({
        filename: (this.opts.filename ?? DEFAULT_TASK).href,
        minThreads: 0,
        maxThreads: this.opts.threads,
        // Threads die soon after a render: an idle render thread costs tens of MB of RSS, and
        // renders are rare (connects, HA births, manual republishes).
        idleTimeout: 1000,
      });
    }
    return this.pool;
  }

  async close(): Promise<void> {
    this.closed = true;
    const p = this.pool;
    this.pool = null;
    if (p) await p.destroy().catch(() => undefined);
  }
}
