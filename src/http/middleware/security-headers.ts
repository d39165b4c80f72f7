import type { Middleware } from "koa";

/** Conservative defaults for an API that is also opened in browsers (/docs). */
export function securityHeaders(): Middleware {
  return async (ctx, next) => {
    ctx.set("X-Content-Type-Options", "nosniff");
    ctx.set("Referrer-Policy", "no-referrer");
    ctx.set("X-Frame-Options", "DENY");
    await next();
  };
}
