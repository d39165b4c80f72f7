/** Gives each request an id and a logger, and writes one access-log line when it ends. */
import { randomUUID } from "node:crypto";
import type { Middleware } from "koa";
import type { ApiKeyInfo } from "../../auth/api-keys.js";
import type { Log } from "../../log.js";
import type { AppState } from "../state.js";

const SAFE_ID = /^[A-Za-z0-9._-]{8,64}$/;

/**
 * The request's state. Its child logger (bound to req_id) is built on first use: most requests
 * never log anything but the access line, which is written with req_id as a field instead (the
 * same line, without a pino child per request).
 */
class RequestState implements AppState {
  apiKey?: ApiKeyInfo;
  private child: Log | undefined;

  constructor(
    private readonly base: Log,
    readonly requestId: string,
  ) {}

  get log(): Log {
    return (this.child ??= this.base.child({ req_id: this.requestId }));
  }
}

export function requestContext(log: Log): Middleware<AppState> {
  return async (ctx, next) => {
    const incoming = ctx.get("X-Request-Id");
    const requestId = SAFE_ID.test(incoming) ? incoming : randomUUID();
    ctx.state = new RequestState(log, requestId);
    ctx.set("X-Request-Id", requestId);
    const started = process.hrtime.bigint();
    try {
      await next();
    } finally {
      const duration_ms = Number(process.hrtime.bigint() - started) / 1e6;
      // Path only: query strings are never logged.
      log.info(
        { req_id: requestId, method: ctx.method, path: ctx.path, route: ctx._matchedRoute ?? null, status: ctx.status, duration_ms: Math.round(duration_ms * 10) / 10, key_id: ctx.state.apiKey?.id },
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
