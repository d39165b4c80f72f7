/** Turns the route table into a Koa router: auth, then input validation, then the handler. */
import Router from "@koa/router";
import type { Middleware } from "koa";
import type { ApiKeyStore } from "../auth/api-keys.js";
import { parseWith, readJsonBody } from "./body.js";
import { requireScope } from "./middleware/auth.js";
import type { RouteDef } from "./route.js";
import type { AppState } from "./state.js";

function handle(route: RouteDef): Middleware<AppState> {
  return async (ctx) => {
    const params = route.params ? parseWith(route.params, ctx.params) : ctx.params;
    const query = route.query ? parseWith(route.query, { ...ctx.query }, "query") : {};
    const body = route.body ? parseWith(route.body, await readJsonBody(ctx)) : undefined;
    const result = await route.handler({ body, query, params, koa: ctx });
    for (const [name, value] of Object.entries(result.headers ?? {})) ctx.set(name, value);
    ctx.status = result.status ?? (result.body === undefined ? 204 : 200);
    if (result.body !== undefined) ctx.body = result.body;
  };
}

export function buildRouter(routes: readonly RouteDef[], keys: ApiKeyStore): Router<AppState> {
  const router = new Router<AppState>();
  for (const route of routes) {
    const chain: Middleware<AppState>[] = [];
    if (route.scope !== "public") chain.push(requireScope(keys, route.scope));
    chain.push(handle(route));
    router[route.method](route.path, ...(chain as [Middleware<AppState>]));
  }
  return router;
}
