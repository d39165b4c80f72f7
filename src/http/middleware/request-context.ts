/** Gives each request an id and a child logger, and writes one access-log line when it ends. */
import { randomUUID } from "node:crypto";
import type { Middleware } from "koa";
import type { Log } from "../../log.js";
import type { AppState } from "../state.js";

const SAFE_ID = /^[A-Za-z0-9._-]{8,64}$/;

export function requestContext(log: Log): Middleware<AppState> {
  return async (ctx, next) => {
    const incoming = ctx.get("X-Request-Id");
    ctx.state.requestId = SAFE_ID.test(incoming) ? incoming : randomUUID();
    ctx.state.log = log.child({ req_id: ctx.state.requestId });
    ctx.set("X-Request-Id", ctx.state.requestId);
    const started = process.hrtime.bigint();
    try {
      await next();
    } finally {
      const duration_ms = Number(process.hrtime.bigint() - started) / 1e6;
      // Path only: query strings are never logged.
      ctx.state.log.info(
        { method: ctx.method, path: ctx.path, route: ctx._matchedRoute ?? null, status: ctx.status, duration_ms: Math.round(duration_ms * 10) / 10, key_id: ctx.state.apiKey?.id },
        "request",
      );
    }
  };
}

declare module "koa" {
  interface BaseContext {
    _matchedRoute?: string | RegExp;
  }
}
