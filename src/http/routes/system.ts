import { z } from "zod";
import { AI_PROVIDERS } from "../../services/ai-providers.js";
import { systemSettingsSchema, systemSettingsUpdateSchema } from "../../services/system-settings.js";
import { defineRoute, type RouteDef } from "../route.js";
import type { RouteDeps } from "./deps.js";

export function systemRoutes(deps: RouteDeps): RouteDef[] {
  const settings = deps.services.systemSettings;
  return [
    defineRoute({
      method: "get",
      path: "/api/v1/system/settings",
      scope: "read",
      tag: "system",
      summary: "System settings; AI keys appear masked as **** plus their last 4 characters",
      responses: { 200: { description: "Settings", schema: systemSettingsSchema } },
      handler: () => ({ body: settings.view() }),
    }),
    defineRoute({
      method: "put",
      path: "/api/v1/system/settings",
      scope: "write",
      tag: "system",
      summary: "Change system settings; a ****-prefixed key is a masked echo and is ignored, null removes a key",
      body: systemSettingsUpdateSchema,
      responses: { 200: { description: "Settings after the change", schema: systemSettingsSchema } },
      handler: ({ body }) => ({ body: settings.update(body) }),
    }),
    defineRoute({
      method: "get",
      path: "/api/v1/system/ai-providers",
      scope: "read",
      tag: "system",
      summary: "Which AI providers have a key, and their order",
      responses: {
        200: {
          description: "Providers",
          schema: z.object({ providers: z.array(z.object({ provider: z.enum(AI_PROVIDERS), configured: z.boolean() })), order: z.array(z.enum(AI_PROVIDERS)) }),
        },
      },
      handler: () => ({ body: settings.providers() }),
    }),
    defineRoute({
      method: "get",
      path: "/api/v1/system/workers",
      scope: "read",
      tag: "system",
      summary: "Health of the worker threads (MQTT actor)",
      handler: async () => ({ body: { mqtt: { status: await deps.mqtt.status(), health: await deps.mqtt.health() } } }),
    }),
  ];
}
