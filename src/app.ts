/**
 * Builds the HTTP application from its parts. No globals: tests assemble an app with their own
 * config, store, MQTT actor and logger, exactly as main.ts does.
 */
import Koa from "koa";
import { readFileSync } from "node:fs";
import type { Config } from "./config/config.js";
import type { Log } from "./log.js";
import type { MqttActorApi } from "./mqtt/contract.js";
import { docsMiddleware } from "./http/docs.js";
import { problemResponses } from "./http/middleware/problem.js";
import { requestContext } from "./http/middleware/request-context.js";
import { securityHeaders } from "./http/middleware/security-headers.js";
import { buildOpenApi } from "./http/openapi.js";
import type { RouteDef } from "./http/route.js";
import { buildRouter } from "./http/router.js";
import { cameraRoutes } from "./http/routes/cameras.js";
import { debugRoutes } from "./http/routes/debug.js";
import { eventRoutes } from "./http/routes/events.js";
import type { RouteDeps } from "./http/routes/deps.js";
import { healthRoutes } from "./http/routes/health.js";
import { metricsRoutes } from "./http/routes/metrics.js";
import { httpMetrics } from "./http/middleware/http-metrics.js";
import { createMetrics, type Metrics } from "./metrics/metrics.js";
import { mqttRoutes } from "./http/routes/mqtt.js";
import { systemRoutes } from "./http/routes/system.js";
import type { AppState } from "./http/state.js";
import { CameraService } from "./services/cameras.js";
import { EventRuntime } from "./services/events.js";
import { MqttConfigService } from "./services/mqtt-config.js";
import { SystemSettingsService } from "./services/system-settings.js";
import type { Store } from "./store/store.js";

export interface AppParts {
  config: Config;
  store: Store;
  mqtt: MqttActorApi;
  log: Log;
}

export interface App {
  koa: Koa<AppState>;
  /** Every mounted API route: the table the router, OpenAPI and the auth test are built from. */
  routes: readonly RouteDef[];
  services: RouteDeps["services"];
  metrics: Metrics;
  openApi: () => Record<string, unknown>;
  /** Stops the event timers and the outbox pump (the store and the actor are the caller's). */
  stop(): void;
}

export function appVersion(): string {
  const pkg = JSON.parse(readFileSync(new URL("../../package.json", import.meta.url), "utf8")) as { version: string };
  return pkg.version;
}

export function createApp({ config, store, mqtt, log }: AppParts): App {
  const mqttConfig = new MqttConfigService(store, config);
  const events = new EventRuntime({ config, store, mqtt, log, mqttConfig });
  const services = {
    cameras: new CameraService(store, mqtt, log, { changed: (c) => events.cameraChanged(c), deleted: (id) => events.cameraDeleted(id) }),
    systemSettings: new SystemSettingsService(store),
    mqttConfig,
    events,
  };
  const metrics = createMetrics({ mqtt });
  metrics.setOutbox({
    depth: () => (store.db.open ? store.outbox.size() : 0),
    oldestAgeSeconds: () => {
      const oldest = store.db.open ? store.outbox.oldestCreatedAt() : null;
      return oldest === null ? 0 : Math.max(0, (Date.now() - oldest) / 1000);
    },
    dropped: () => {
      const s = events.pump.stats();
      return s.dropped_expired + s.dropped_overflow;
    },
  });
  const deps: RouteDeps = { config, store, mqtt, log, metrics, version: appVersion(), startedAt: Date.now(), services };

  const routes: RouteDef[] = [...healthRoutes(deps), ...systemRoutes(deps), ...cameraRoutes(deps), ...mqttRoutes(deps), ...metricsRoutes(deps), ...eventRoutes(deps)];
  // Registered only when enabled; when disabled the routes do not exist (same 404 as any unknown path).
  if (config.DEBUG_ENDPOINTS_ENABLED) {
    routes.push(...debugRoutes(deps));
    log.warn("debug endpoints are ENABLED (admin key required); turn DEBUG_ENDPOINTS_ENABLED off in production");
  } else {
    log.debug("debug endpoints disabled");
  }

  const openApi = () => buildOpenApi(routes, { version: deps.version });
  const router = buildRouter(routes, store.apiKeys);

  const koa = new Koa<AppState>({ proxy: false });
  koa.silent = true; // errors are logged once, by the problem middleware
  koa.use(requestContext(log));
  koa.use(httpMetrics(metrics));
  koa.use(securityHeaders());
  koa.use(problemResponses());
  for (const mw of docsMiddleware(openApi)) koa.use(mw);
  // A method the router has never heard of (PROPFIND...) is not a server fault (the router's 501):
  // on a known path it is "not allowed here" (405 with Allow), elsewhere the plain 404.
  koa.use(async (ctx, next) => {
    await next();
    if (ctx.status === 501 && ctx.body == null) ctx.status = (ctx as { matched?: unknown[] }).matched?.length ? 405 : 404;
  });
  koa.use(router.routes());
  koa.use(router.allowedMethods());
  events.start();
  return { koa, routes, services, metrics, openApi, stop: () => events.stop() };
}
