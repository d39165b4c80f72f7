import { z } from "zod";
import { BadRequestError, ServiceUnavailableError } from "../../errors.js";
import { mqttConfigUpdateSchema, mqttConfigViewSchema } from "../../services/mqtt-config.js";
import { defineRoute, type RouteDef } from "../route.js";
import type { RouteDeps } from "./deps.js";

const statusSchema = z.object({
  connected: z.boolean(),
  state: z.string(),
  protocol: z.enum(["5.0", "3.1.1"]).nullable(),
  broker: z.string().nullable(),
  last_connected_at: z.string().nullable(),
  messages_published: z.number(),
  last_error: z.string().nullable(),
  reconnect_attempt: z.number(),
  next_retry_in_ms: z.number().nullable(),
});

const connectionTestSchema = z
  .object({
    broker_host: z.string().min(1).max(255).refine((s) => /^[A-Za-z0-9.:_\-\[\]]+$/.test(s), { message: "must be a host name or IP address" }),
    broker_port: z.number().int().min(1).max(65535).default(1883),
    username: z.string().max(255).nullable().optional(),
    password: z.string().max(1024).nullable().optional(),
    use_tls: z.boolean().default(false),
  })
  .strict()
  .refine((b) => !b.password || !!b.username, { path: ["password"], message: "a password needs a username" });

const actionResult = z.object({ success: z.boolean(), message: z.string() });

export function mqttRoutes(deps: RouteDeps): RouteDef[] {
  const config = deps.services.mqttConfig;
  const base = "/api/v1/integrations/mqtt";
  return [
    defineRoute({
      method: "get",
      path: `${base}/config`,
      scope: "read",
      tag: "mqtt",
      summary: "MQTT settings (the password is write-only: see has_password)",
      responses: { 200: { description: "Settings", schema: mqttConfigViewSchema } },
      handler: () => ({ body: config.view() }),
    }),
    defineRoute({
      method: "put",
      path: `${base}/config`,
      scope: "write",
      tag: "mqtt",
      summary: "Change MQTT settings; takes effect live (the actor reconnects). Empty password keeps the old one, null removes it",
      body: mqttConfigUpdateSchema,
      responses: { 200: { description: "Settings after the change", schema: mqttConfigViewSchema } },
      handler: ({ body }) => {
        const view = config.update(body);
        deps.mqtt.updateSettings(config.actorSettings()).catch((err: unknown) => deps.log.warn({ err: String(err) }, "MQTT actor did not take the new settings yet"));
        return { body: view };
      },
    }),
    defineRoute({
      method: "get",
      path: `${base}/status`,
      scope: "read",
      tag: "mqtt",
      summary: "Connection state and counters",
      responses: { 200: { description: "Status", schema: statusSchema } },
      handler: async () => ({ body: await deps.mqtt.status() }),
    }),
    defineRoute({
      method: "post",
      path: `${base}/test`,
      scope: "write",
      tag: "mqtt",
      summary: "Try a connection with the given settings; saves nothing",
      body: connectionTestSchema,
      responses: { 200: { description: "Outcome", schema: actionResult.extend({ protocol: z.enum(["5.0", "3.1.1"]).nullable() }) } },
      handler: async ({ body }) => ({
        body: await deps.mqtt.testConnection({
          broker_host: body.broker_host,
          broker_port: body.broker_port,
          username: body.username ?? null,
          password: body.password ?? null,
          use_tls: body.use_tls,
          timeout_ms: 5000,
        }),
      }),
    }),
    defineRoute({
      method: "post",
      path: `${base}/publish-discovery`,
      scope: "write",
      tag: "mqtt",
      summary: "Republish Home Assistant discovery and state now",
      responses: { 200: { description: "Published", schema: actionResult.extend({ cameras_published: z.number() }) }, 400: { description: "Discovery is off" }, 503: { description: "Not connected" } },
      handler: async () => {
        const r = await deps.mqtt.publishDiscovery();
        if (!r.ok) throw r.reason === "discovery_disabled" ? new BadRequestError(r.message) : new ServiceUnavailableError(r.message);
        return { body: { success: true, message: `Discovery published for ${r.cameras_published} camera(s).`, cameras_published: r.cameras_published } };
      },
    }),
    defineRoute({
      method: "post",
      path: `${base}/test-message`,
      scope: "write",
      tag: "mqtt",
      summary: "Publish a test message on <prefix>/test",
      responses: { 200: { description: "Published", schema: actionResult.extend({ topic: z.string() }) }, 503: { description: "Not connected" } },
      handler: async () => {
        const r = await deps.mqtt.publishTestMessage();
        if (!r.ok) throw new ServiceUnavailableError(r.message);
        return { body: { success: true, message: "Test message published.", topic: r.topic } };
      },
    }),
  ];
}
