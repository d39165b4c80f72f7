/**
 * Per-route authentication. It runs after routing on purpose: an unknown (or disabled) route
 * answers 404 the same way with or without credentials, so probing reveals nothing.
 */
import type { Middleware } from "koa";
import { grants, type ApiKeyStore, type Scope } from "../../auth/api-keys.js";
import { ForbiddenError, UnauthorizedError } from "../../errors.js";
import type { AppState } from "../state.js";

export function presentedToken(authorization: string, xApiKey: string): string | undefined {
  const bearer = /^Bearer[ \t]+(\S+)[ \t]*$/i.exec(authorization);
  if (bearer) return bearer[1];
  const key = xApiKey.trim();
  return key === "" ? undefined : key;
}

export function requireScope(keys: ApiKeyStore, scope: Scope): Middleware<AppState> {
  return async (ctx, next) => {
    const token = presentedToken(ctx.get("Authorization"), ctx.get("X-API-Key"));
    if (!token) throw new UnauthorizedError("Send an API key as `Authorization: Bearer <key>` or `X-API-Key: <key>`.");
    const key = keys.findActive(token);
    if (!key) throw new UnauthorizedError("The API key is not valid or has been revoked.");
    ctx.state.apiKey = key;
    if (!grants(key.scopes, scope)) throw new ForbiddenError(`This route needs the '${scope}' scope.`);
    keys.touch(key.id);
    await next();
  };
}
