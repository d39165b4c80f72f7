/**
 * Debug routes (spec story P14-1.2). createApp mounts this table only when
 * DEBUG_ENDPOINTS_ENABLED=true; otherwise the routes do not exist at all and answer the same 404 as
 * any unknown path. Even when mounted they are admin-only, hidden from OpenAPI, audit-logged, and
 * reveal no byte, prefix or length of any secret.
 */
import { z } from "zod";
import { ConflictError } from "../../errors.js";
import { probeTcp } from "../../services/network-probe.js";
import { AI_PROVIDERS } from "../../services/ai-providers.js";
import { defineRoute, type RouteDef } from "../route.js";
import type { RouteContext } from "../route.js";
import type { RouteDeps } from "./deps.js";

export const debugAiKeysSchema = z.object({
  providers: z.array(z.object({ provider: z.enum(AI_PROVIDERS), configured: z.boolean(), encrypted: z.boolean() })),
});

export function debugRoutes(deps: RouteDeps): RouteDef[] {
  const audit = (ctx: RouteContext<unknown, unknown, unknown>, route: string) =>
    deps.log.warn({ audit: true, key_id: ctx.koa.state.apiKey?.id, route, at: new Date().toISOString() }, "debug route called");

  return [
    defineRoute({
      method: "get",
      path: "/api/v1/system/debug/ai-keys",
      scope: "admin",
      tag: "debug",
      hidden: true,
      summary: "Whether each AI key is configured and stored encrypted",
      handler: (ctx) => {
        audit(ctx, "/api/v1/system/debug/ai-keys");
        return { headers: { "Cache-Control": "no-store" }, body: { providers: deps.services.systemSettings.keyStorageReport() } };
      },
    }),
    defineRoute({
      method: "get",
      path: "/api/v1/system/debug/network",
      scope: "admin",
      tag: "debug",
      hidden: true,
      summary: "TCP reachability of DEBUG_NETWORK_TARGET",
      handler: async (ctx) => {
        audit(ctx, "/api/v1/system/debug/network");
        const target = deps.config.DEBUG_NETWORK_TARGET;
        if (!target) throw new ConflictError("No probe target is configured: set DEBUG_NETWORK_TARGET=host:port and restart.");
        return { headers: { "Cache-Control": "no-store" }, body: await probeTcp(target, 3000) };
      },
    }),
  ];
}
