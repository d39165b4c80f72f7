import { z } from "zod";
import { CAMERA_RUNTIME_STATES } from "../../domain/camera.js";
import { ValidationError } from "../../errors.js";
import { cleanText, uuidParam } from "../schemas/common.js";
import { defineRoute, type RouteDef } from "../route.js";
import type { RouteDeps } from "./deps.js";

const isoWithOffset = z.iso.datetime({ offset: true, message: "must be an ISO 8601 date-time with an offset, e.g. 2026-05-01T12:00:00+02:00" });
const label = (max: number) => cleanText(1, max).nullable().optional();

export const createEventSchema = z
  .object({
    camera_id: z.uuid({ message: "must be a camera id (UUID)" }),
    description: cleanText(0, 10_000, { multiline: true }).default(""),
    objects_detected: z.array(cleanText(1, 64)).max(100, { message: "must list at most 100 objects" }).default([]),
    confidence: z.number().int({ message: "must be an integer 0..100" }).min(0).max(100),
    timestamp: isoWithOffset.optional(),
    ai_confidence: z.number().min(0).max(100).nullable().optional(),
    smart_detection_type: label(64),
    is_doorbell_ring: z.boolean().nullable().optional(),
    provider_used: label(64),
    analysis_mode: label(64),
    low_confidence: z.boolean().nullable().optional(),
    correlation_group_id: label(128),
    delivery_carrier: label(64),
    delivery_carrier_display: label(128),
  })
  .strict();

export const eventSchema = z.object({
  id: z.string(),
  camera_id: z.string(),
  description: z.string(),
  objects_detected: z.array(z.string()),
  confidence: z.number(),
  timestamp: z.string(),
  created_at: z.string(),
  ai_confidence: z.number().nullable(),
  smart_detection_type: z.string().nullable(),
  is_doorbell_ring: z.boolean().nullable(),
  provider_used: z.string().nullable(),
  analysis_mode: z.string().nullable(),
  low_confidence: z.boolean().nullable(),
  correlation_group_id: z.string().nullable(),
  delivery_carrier: z.string().nullable(),
  delivery_carrier_display: z.string().nullable(),
});

const listQuerySchema = z
  .object({
    camera_id: z.uuid({ message: "must be a camera id (UUID)" }).optional(),
    since: isoWithOffset.optional(),
    until: isoWithOffset.optional(),
    limit: z.coerce.number().int().min(1).max(500).default(50),
    cursor: z.string().max(200).optional(),
  })
  .strict();

const statusBodySchema = z.object({ state: z.enum(CAMERA_RUNTIME_STATES) }).strict();

export const cameraStatusSchema = z.object({
  camera_id: z.string(),
  state: z.enum(CAMERA_RUNTIME_STATES),
  status: z.enum(["online", "offline", "unavailable"]),
  updated_at: z.string(),
});

/** Opaque keyset cursor: the position (ts, id) of the last event of the previous page. */
export function encodeCursor(pos: { ts: number; id: string }): string {
  return Buffer.from(JSON.stringify([pos.ts, pos.id])).toString("base64url");
}

export function decodeCursor(cursor: string): { ts: number; id: string } {
  try {
    const v = JSON.parse(Buffer.from(cursor, "base64url").toString("utf8")) as unknown;
    if (Array.isArray(v) && v.length === 2 && Number.isSafeInteger(v[0]) && typeof v[1] === "string" && v[1].length <= 64) return { ts: v[0] as number, id: v[1] };
  } catch {
    /* fall through */
  }
  throw new ValidationError([{ field: "cursor", message: "is not a cursor returned by this API" }]);
}

export function eventRoutes(deps: RouteDeps): RouteDef[] {
  const events = deps.services.events;
  return [
    defineRoute({
      method: "post",
      path: "/api/v1/events",
      scope: "write",
      tag: "events",
      summary: "Record a camera event; it is published to Home Assistant (event, last_event, counts, activity ON)",
      body: createEventSchema,
      responses: { 201: { description: "Stored event", schema: eventSchema }, 404: { description: "Unknown camera" }, 409: { description: "Camera disabled" } },
      handler: async ({ body, koa }) => {
        const event = await events.createEvent(body); // resolves after the COMMIT
        return { status: 201, body: event, headers: { Location: `${koa.path}/${event.id}` } };
      },
    }),
    defineRoute({
      method: "get",
      path: "/api/v1/events",
      scope: "read",
      tag: "events",
      summary: "List events, newest first; follow next_cursor for the next page",
      query: listQuerySchema,
      responses: { 200: { description: "A page of events", schema: z.object({ events: z.array(eventSchema), next_cursor: z.string().nullable() }) } },
      handler: ({ query }) => {
        const page = events.listEvents({
          camera_id: query.camera_id,
          since: query.since !== undefined ? Date.parse(query.since) : undefined,
          until: query.until !== undefined ? Date.parse(query.until) : undefined,
          limit: query.limit + 1,
          after: query.cursor !== undefined ? decodeCursor(query.cursor) : undefined,
        });
        const more = page.events.length > query.limit;
        const list = more ? page.events.slice(0, query.limit) : page.events;
        const last = list[list.length - 1];
        const next = more && last ? encodeCursor({ ts: Date.parse(last.timestamp), id: last.id }) : null;
        return { body: { events: list, next_cursor: next } };
      },
    }),
    defineRoute({
      method: "get",
      path: "/api/v1/events/:id",
      scope: "read",
      tag: "events",
      summary: "Get one event",
      params: uuidParam,
      responses: { 200: { description: "Event", schema: eventSchema } },
      handler: ({ params }) => ({ body: events.getEvent(params.id) }),
    }),
  ];
}

/** POST /cameras/{id}/status lives with the camera routes; its schemas live here with the state code. */
export function cameraStatusRoute(deps: RouteDeps): RouteDef {
  return defineRoute({
    method: "post",
    path: "/api/v1/cameras/:id/status",
    scope: "write",
    tag: "cameras",
    summary: "Report a camera's runtime state; the mapped status is published retained on P/camera/{id}/status",
    params: uuidParam,
    body: statusBodySchema,
    responses: { 200: { description: "Status as published", schema: cameraStatusSchema } },
    handler: ({ params, body }) => ({ body: deps.services.events.reportStatus(params.id, body.state) }),
  });
}
