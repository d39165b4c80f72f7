/**
 * A route is data: method, path, scope, schemas and a handler. The same table mounts the Koa
 * router, produces the OpenAPI document and drives the "every route needs a key" test, so a new
 * route cannot be added without being described and protected.
 */
import type { ParameterizedContext } from "koa";
import type { z } from "zod";
import type { Scope } from "../auth/api-keys.js";
import type { AppState } from "./state.js";

export type HttpMethod = "get" | "post" | "put" | "patch" | "delete";

export interface RouteContext<Body, Query, Params> {
  body: Body;
  query: Query;
  params: Params;
  koa: ParameterizedContext<AppState>;
}

export interface RouteResult {
  status?: number;
  body?: unknown;
  headers?: Record<string, string>;
}

export interface RouteDef<B extends z.ZodType = z.ZodType, Q extends z.ZodType = z.ZodType, P extends z.ZodType = z.ZodType> {
  method: HttpMethod;
  /** Koa-router path, e.g. `/api/v1/cameras/:id`. */
  path: string;
  /** `public` routes need no key (only health and the docs). */
  scope: Scope | "public";
  summary: string;
  tag: string;
  body?: B;
  query?: Q;
  params?: P;
  /** Success responses for OpenAPI: status -> schema (or null for no body). */
  responses?: Record<number, { description: string; schema?: z.ZodType | null }>;
  /** Routes left out of the OpenAPI document (debug routes). */
  hidden?: boolean;
  handler: (ctx: RouteContext<z.output<B>, z.output<Q>, z.output<P>>) => Promise<RouteResult> | RouteResult;
}

/** Keeps the generic types of each route while letting tables hold mixed routes. */
export function defineRoute<B extends z.ZodType, Q extends z.ZodType, P extends z.ZodType>(def: RouteDef<B, Q, P>): RouteDef {
  return def as unknown as RouteDef;
}
