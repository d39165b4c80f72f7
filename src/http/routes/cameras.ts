import { z } from "zod";
import { CAMERA_TYPES } from "../../domain/camera.js";
import { cleanText, uuidParam } from "../schemas/common.js";
import { defineRoute, type RouteDef } from "../route.js";
import type { RouteDeps } from "./deps.js";
import { cameraStatusRoute } from "./events.js";

export const cameraSchema = z.object({
  id: z.string(),
  name: z.string(),
  type: z.enum(CAMERA_TYPES),
  source_type: z.enum(CAMERA_TYPES),
  is_doorbell: z.boolean(),
  is_enabled: z.boolean(),
  created_at: z.string(),
  updated_at: z.string(),
});

const createCameraSchema = z
  .object({
    name: cleanText(1, 100),
    type: z.enum(CAMERA_TYPES),
    source_type: z.enum(CAMERA_TYPES).optional(),
    is_doorbell: z.boolean().optional(),
    is_enabled: z.boolean().optional(),
  })
  .strict();

const patchCameraSchema = z
  .object({
    name: cleanText(1, 100).optional(),
    type: z.enum(CAMERA_TYPES).optional(),
    source_type: z.enum(CAMERA_TYPES).optional(),
    is_doorbell: z.boolean().optional(),
    is_enabled: z.boolean().optional(),
  })
  .strict()
  .refine((p) => Object.values(p).some((v) => v !== undefined), { message: "send at least one field to change" });

export function cameraRoutes(deps: RouteDeps): RouteDef[] {
  const cameras = deps.services.cameras;
  return [
    defineRoute({
      method: "get",
      path: "/api/v1/cameras",
      scope: "read",
      tag: "cameras",
      summary: "List cameras",
      responses: { 200: { description: "Cameras", schema: z.object({ cameras: z.array(cameraSchema) }) } },
      handler: () => ({ body: { cameras: cameras.list() } }),
    }),
    defineRoute({
      method: "post",
      path: "/api/v1/cameras",
      scope: "write",
      tag: "cameras",
      summary: "Create a camera (its Home Assistant entities are published at once)",
      body: createCameraSchema,
      responses: { 201: { description: "Created", schema: cameraSchema } },
      handler: ({ body, koa }) => {
        const camera = cameras.create(body);
        return { status: 201, body: camera, headers: { Location: `${koa.path}/${camera.id}` } };
      },
    }),
    defineRoute({
      method: "get",
      path: "/api/v1/cameras/:id",
      scope: "read",
      tag: "cameras",
      summary: "Get a camera",
      params: uuidParam,
      responses: { 200: { description: "Camera", schema: cameraSchema } },
      handler: ({ params }) => ({ body: cameras.get(params.id) }),
    }),
    defineRoute({
      method: "patch",
      path: "/api/v1/cameras/:id",
      scope: "write",
      tag: "cameras",
      summary: "Change a camera; a rename keeps its Home Assistant unique_ids",
      params: uuidParam,
      body: patchCameraSchema,
      responses: { 200: { description: "Updated camera", schema: cameraSchema } },
      handler: ({ params, body }) => ({ body: cameras.update(params.id, body) }),
    }),
    defineRoute({
      method: "delete",
      path: "/api/v1/cameras/:id",
      scope: "write",
      tag: "cameras",
      summary: "Delete a camera and remove its Home Assistant entities",
      params: uuidParam,
      responses: { 204: { description: "Deleted", schema: null } },
      handler: ({ params }) => {
        cameras.delete(params.id);
        return { status: 204 };
      },
    }),
    cameraStatusRoute(deps),
  ];
}
