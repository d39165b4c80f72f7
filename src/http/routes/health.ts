import { z } from "zod";
import type { MqttConnectionState } from "../../mqtt/contract.js";
import { defineRoute, type RouteDef } from "../route.js";
import type { RouteDeps } from "./deps.js";

export const healthSchema = z.object({
  status: z.enum(["ok", "degraded", "error"]),
  version: z.string(),
  uptime_s: z.number(),
  checks: z.object({ db: z.enum(["ok", "error"]), mqtt: z.string() }),
});

/** MQTT trouble degrades the service (still 200: the API works); a dead database is an error. */
const DEGRADED: ReadonlySet<MqttConnectionState | "unknown"> = new Set(["connecting", "reconnecting", "not_authorized", "restarting", "unknown"]);

async function mqttState(deps: RouteDeps): Promise<MqttConnectionState | "unknown"> {
  const timeout = new Promise<"unknown">((resolve) => setTimeout(resolve, 1000, "unknown").unref());
  try {
    return await Promise.race([deps.mqtt.status().then((s) => s.state), timeout]);
  } catch {
    return "unknown";
  }
}

export function healthRoutes(deps: RouteDeps): RouteDef[] {
  return [
    defineRoute({
      method: "get",
      path: "/api/v1/health",
      scope: "public",
      tag: "system",
      summary: "Liveness and dependency checks (no key needed)",
      responses: { 200: { description: "Service is up", schema: healthSchema }, 503: { description: "Database unusable" } },
      handler: async () => {
        const db = deps.store.ping() ? "ok" : "error";
        const mqtt = await mqttState(deps);
        const status = db === "error" ? "error" : DEGRADED.has(mqtt) ? "degraded" : "ok";
        return {
          status: db === "error" ? 503 : 200,
          headers: { "Cache-Control": "no-store" },
          body: { status, version: deps.version, uptime_s: Math.round((Date.now() - deps.startedAt) / 1000), checks: { db, mqtt } },
        };
      },
    }),
  ];
}
