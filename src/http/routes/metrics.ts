import { defineRoute, type RouteDef } from "../route.js";
import type { RouteDeps } from "./deps.js";

export function metricsRoutes(deps: RouteDeps): RouteDef[] {
  const metrics = deps.metrics;
  return [
    defineRoute({
      method: "get",
      path: "/metrics",
      scope: deps.config.METRICS_PUBLIC ? "public" : "read",
      tag: "system",
      summary: "Prometheus metrics (needs a key unless METRICS_PUBLIC=true)",
      responses: { 200: { description: "Prometheus text format" } },
      handler: async () => ({
        headers: { "Content-Type": metrics.registry.contentType, "Cache-Control": "no-store" },
        body: await metrics.registry.metrics(),
      }),
    }),
  ];
}
