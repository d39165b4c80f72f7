import type { Middleware } from "koa";
import type { Metrics } from "../../metrics/metrics.js";

/** Records every request under its route template (never the raw path: ids would explode labels). */
export function httpMetrics(metrics: Metrics): Middleware {
  return async (ctx, next) => {
    const end = metrics.httpDuration.startTimer();
    try {
      await next();
    } finally {
      const route = typeof ctx._matchedRoute === "string" ? ctx._matchedRoute : ctx.path.startsWith("/docs") ? "/docs" : "unmatched";
      end({ method: ctx.method, route, status: String(ctx.status) });
    }
  };
}
