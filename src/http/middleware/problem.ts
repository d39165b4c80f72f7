/**
 * Maps every error, and the fall-through 404, to problem+json. Stacks go to the log only; a 500
 * shows a request id so an operator can find the log line.
 */
import type { Middleware } from "koa";
import { AppError } from "../../errors.js";
import { NOT_FOUND_PROBLEM, PROBLEM_CONTENT_TYPE, internalProblem, problemFromAppError, problemFromStatus, type Problem } from "../problem.js";
import type { AppState } from "../state.js";

export function problemResponses(): Middleware<AppState> {
  return async (ctx, next) => {
    let problem: Problem | undefined;
    let headers: Record<string, string> = {};
    try {
      await next();
      if (ctx.status === 404 && ctx.body == null) problem = NOT_FOUND_PROBLEM;
      else if (ctx.status === 405 && ctx.body == null) problem = problemFromStatus(405, `Method ${ctx.method} is not allowed here.`);
      else if (ctx.status === 501 && ctx.body == null) problem = problemFromStatus(501, `Method ${ctx.method} is not implemented.`);
    } catch (err) {
      if (err instanceof AppError) {
        problem = problemFromAppError(err);
        headers = err.headers;
      } else {
        const e = err as { status?: number; statusCode?: number; expose?: boolean; message?: string; headers?: Record<string, string> };
        const status = e.status ?? e.statusCode;
        if (typeof status === "number" && status >= 400 && status < 500) {
          problem = problemFromStatus(status, e.expose ? e.message : undefined);
          headers = e.headers ?? {};
        } else {
          ctx.state.log.error({ err }, "unhandled error");
          problem = internalProblem(ctx.state.requestId);
        }
      }
    }
    if (!problem) return;
    // Drop headers a failed handler may have set, except the request id (and Allow on a 405).
    const kept = ["X-Request-Id", ...(problem.status === 405 ? ["Allow"] : [])].map((n) => [n, ctx.response.get(n)] as const);
    for (const name of Object.keys(ctx.response.headers)) ctx.remove(name);
    for (const [name, value] of kept) if (value) ctx.set(name, value);
    for (const [name, value] of Object.entries(headers)) ctx.set(name, value);
    ctx.status = problem.status;
    ctx.type = PROBLEM_CONTENT_TYPE;
    ctx.body = JSON.stringify(problem);
  };
}
