/**
 * GET /openapi.json and GET /docs. Swagger UI's assets are served from swagger-ui-dist by this
 * service and the page refers to nothing else (Content-Security-Policy), so it renders with no
 * internet access and tells no third party who opened it.
 */
import { createReadStream, existsSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import type { Middleware } from "koa";
import { koaSwagger } from "koa2-swagger-ui";
import type { AppState } from "./state.js";

const ASSET_PREFIX = "/docs/assets";
const ASSET_VERSION = "local";
// koa2-swagger-ui asks for the minified stylesheet; swagger-ui-dist ships it unminified.
const ASSETS: Record<string, [file: string, type: string]> = {
  "swagger-ui.min.css": ["swagger-ui.css", "text/css; charset=utf-8"],
  "swagger-ui.css": ["swagger-ui.css", "text/css; charset=utf-8"],
  "swagger-ui-bundle.js": ["swagger-ui-bundle.js", "application/javascript; charset=utf-8"],
  "swagger-ui-standalone-preset.js": ["swagger-ui-standalone-preset.js", "application/javascript; charset=utf-8"],
};

/** The page may load only what this service serves (its template needs inline script and style). */
const DOCS_CSP = "default-src 'self'; script-src 'self' 'unsafe-inline'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'";

function withoutExternalStylesheets(html: string): string {
  return html.replace(/<link\b[^>]*href="(?:https?:)?\/\/[^"]*"[^>]*>\s*/gi, "");
}

export function docsMiddleware(openApi: () => Record<string, unknown>): Middleware<AppState>[] {
  const distDir = dirname(createRequire(import.meta.url).resolve("swagger-ui-dist/package.json"));
  let cachedSpec: string | undefined;

  const spec: Middleware<AppState> = async (ctx, next) => {
    if (ctx.path !== "/openapi.json" || (ctx.method !== "GET" && ctx.method !== "HEAD")) return next();
    cachedSpec ??= JSON.stringify(openApi());
    ctx.type = "application/json";
    ctx.body = cachedSpec;
  };

  const assets: Middleware<AppState> = async (ctx, next) => {
    const prefix = `${ASSET_PREFIX}/${ASSET_VERSION}/`;
    if (!ctx.path.startsWith(prefix) || (ctx.method !== "GET" && ctx.method !== "HEAD")) return next();
    const asset = ASSETS[ctx.path.slice(prefix.length)];
    const file = asset ? join(distDir, asset[0]) : undefined;
    if (!asset || !file || !existsSync(file)) return next();
    ctx.type = asset[1];
    ctx.set("Cache-Control", "public, max-age=86400");
    ctx.body = createReadStream(file);
  };

  const ui = koaSwagger({
    routePrefix: "/docs",
    title: "argus-bridge API",
    swaggerCdnUrl: ASSET_PREFIX,
    swaggerVersion: ASSET_VERSION,
    hideTopbar: true,
    // validatorUrl null: no badge fetched from swagger.io.
    swaggerOptions: { url: "/openapi.json", persistAuthorization: false, validatorUrl: null },
  }) as unknown as Middleware<AppState>;

  const uiOnlyOnGet: Middleware<AppState> = async (ctx, next) => {
    if (ctx.method !== "GET" && ctx.method !== "HEAD") return next();
    await ui(ctx, next);
    if (ctx.path === "/docs" && typeof ctx.body === "string") {
      // The template links Google Fonts: a third-party request from every home that opens the page
      // (and a slow page without internet). Swagger UI falls back to system fonts.
      ctx.body = withoutExternalStylesheets(ctx.body);
      ctx.set("Content-Security-Policy", DOCS_CSP);
    }
  };
  return [spec, assets, uiOnlyOnGet];
}
