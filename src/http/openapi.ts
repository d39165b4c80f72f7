/**
 * OpenAPI 3.1 from the route table and its zod schemas: one schema validates a request and
 * describes it. Hidden routes (debug) never appear.
 */
import { z } from "zod";
import { PROBLEM_CONTENT_TYPE } from "./problem.js";
import type { RouteDef } from "./route.js";

const toSchema = (schema: z.ZodType, io: "input" | "output") => {
  const { $schema: _ignored, ...rest } = z.toJSONSchema(schema, { io, unrepresentable: "any" }) as Record<string, unknown>;
  return rest;
};

const problemSchema = {
  type: "object",
  required: ["type", "title", "status", "detail"],
  properties: {
    type: { type: "string" },
    title: { type: "string" },
    status: { type: "integer" },
    detail: { type: "string" },
    errors: { type: "array", items: { type: "object", properties: { field: { type: "string" }, message: { type: "string" } } } },
    request_id: { type: "string" },
  },
};

export function buildOpenApi(routes: readonly RouteDef[], info: { version: string }): Record<string, unknown> {
  const paths: Record<string, Record<string, unknown>> = {};
  for (const route of routes) {
    if (route.hidden) continue;
    const path = route.path.replace(/:([A-Za-z_]+)/g, "{$1}");
    const parameters: unknown[] = [];
    for (const name of [...route.path.matchAll(/:([A-Za-z_]+)/g)].map((m) => m[1]!)) {
      parameters.push({ name, in: "path", required: true, schema: { type: "string", format: "uuid" } });
    }
    if (route.query) {
      const q = toSchema(route.query, "input") as { properties?: Record<string, unknown>; required?: string[] };
      for (const [name, schema] of Object.entries(q.properties ?? {})) {
        parameters.push({ name, in: "query", required: q.required?.includes(name) ?? false, schema });
      }
    }
    const responses: Record<string, unknown> = {};
    for (const [status, r] of Object.entries(route.responses ?? { 200: { description: "OK" } })) {
      responses[status] = r.schema ? { description: r.description, content: { "application/json": { schema: toSchema(r.schema, "output") } } } : { description: r.description };
    }
    const problem = { content: { [PROBLEM_CONTENT_TYPE]: { schema: { $ref: "#/components/schemas/Problem" } } } };
    if (route.body) responses["422"] ??= { description: "Invalid input", ...problem };
    if (route.scope !== "public") {
      responses["401"] ??= { description: "Missing or invalid API key", ...problem };
      responses["403"] ??= { description: "The key lacks the scope", ...problem };
    }
    paths[path] ??= {};
    paths[path]![route.method] = {
      summary: route.summary,
      tags: [route.tag],
      ...(parameters.length ? { parameters } : {}),
      ...(route.body ? { requestBody: { required: true, content: { "application/json": { schema: toSchema(route.body, "input") } } } } : {}),
      responses,
      ...(route.scope === "public" ? { security: [] } : { "x-required-scope": route.scope }),
    };
  }
  return {
    openapi: "3.1.0",
    info: { title: "argus-bridge API", version: info.version, description: "Camera events to Home Assistant over MQTT. Send an API key as `Authorization: Bearer <key>` or `X-API-Key`." },
    servers: [{ url: "/" }],
    security: [{ bearer: [] }, { apiKey: [] }],
    components: {
      securitySchemes: {
        bearer: { type: "http", scheme: "bearer" },
        apiKey: { type: "apiKey", in: "header", name: "X-API-Key" },
      },
      schemas: { Problem: problemSchema },
    },
    paths,
  };
}
