/**
 * Every environment variable the service reads, with its default. The single source of truth for
 * validation, for `.env.example` and for docs/configuration.md (a test keeps them in step).
 */
import { z } from "zod";

const TRUE = new Set(["true", "1", "yes"]);
const FALSE = new Set(["false", "0", "no"]);

/** true/false/1/0/yes/no in any case; anything else is an error naming the accepted forms. */
export const booleanFlag = (fallback: boolean) =>
  z
    .string()
    .optional()
    .transform((raw, ctx) => {
      if (raw === undefined || raw.trim() === "") return fallback;
      const v = raw.trim().toLowerCase();
      if (TRUE.has(v)) return true;
      if (FALSE.has(v)) return false;
      ctx.addIssue({ code: "custom", message: `expected one of true/false/1/0/yes/no, got "${raw}"` });
      return z.NEVER;
    });

const intInRange = (fallback: number, min: number, max: number) =>
  z
    .string()
    .optional()
    .transform((raw, ctx) => {
      if (raw === undefined || raw.trim() === "") return fallback;
      const n = Number(raw.trim());
      if (!Number.isInteger(n) || n < min || n > max) {
        ctx.addIssue({ code: "custom", message: `expected an integer ${min}..${max}, got "${raw}"` });
        return z.NEVER;
      }
      return n;
    });

const optionalText = z
  .string()
  .optional()
  .transform((v) => (v === undefined || v.trim() === "" ? undefined : v.trim()));

const hostPort = z
  .string()
  .optional()
  .transform((raw, ctx) => {
    if (raw === undefined || raw.trim() === "") return undefined;
    const m = /^(\[[0-9a-fA-F:]+\]|[A-Za-z0-9.-]+):(\d{1,5})$/.exec(raw.trim());
    const port = m ? Number(m[2]) : 0;
    if (!m || port < 1 || port > 65535) {
      ctx.addIssue({ code: "custom", message: `expected host:port, got "${raw}"` });
      return z.NEVER;
    }
    return { host: m[1]!.replace(/^\[|\]$/g, ""), port };
  });

const base64Key = z
  .string()
  .optional()
  .transform((raw, ctx) => {
    if (raw === undefined || raw.trim() === "") return undefined;
    const buf = Buffer.from(raw.trim(), "base64");
    if (buf.length !== 32 || buf.toString("base64") !== raw.trim()) {
      // Never echo the value: it is key material.
      ctx.addIssue({ code: "custom", message: "expected base64 of exactly 32 bytes (openssl rand -base64 32)" });
      return z.NEVER;
    }
    return buf;
  });

const url = (fallback: string) =>
  z
    .string()
    .optional()
    .transform((raw, ctx) => {
      const v = raw === undefined || raw.trim() === "" ? fallback : raw.trim();
      try {
        const u = new URL(v);
        if (!["http:", "https:", "mqtt:", "mqtts:"].includes(u.protocol)) throw new Error("scheme");
        return v.replace(/\/+$/, "");
      } catch {
        ctx.addIssue({ code: "custom", message: `expected an absolute URL, got "${raw}"` });
        return z.NEVER;
      }
    });

const enumOf = <T extends string>(values: readonly [T, ...T[]], fallback: T) =>
  z
    .string()
    .optional()
    .transform((raw, ctx) => {
      if (raw === undefined || raw.trim() === "") return fallback;
      const v = raw.trim().toLowerCase() as T;
      if (!values.includes(v)) {
        ctx.addIssue({ code: "custom", message: `expected one of ${values.join("/")}, got "${raw}"` });
        return z.NEVER;
      }
      return v;
    });

const timeZone = z
  .string()
  .optional()
  .transform((raw, ctx) => {
    const v = raw === undefined || raw.trim() === "" ? Intl.DateTimeFormat().resolvedOptions().timeZone : raw.trim();
    try {
      new Intl.DateTimeFormat("en-US", { timeZone: v });
      return v;
    } catch {
      ctx.addIssue({ code: "custom", message: `expected an IANA time zone such as Europe/Berlin, got "${raw}"` });
      return z.NEVER;
    }
  });

export const envSchema = z.object({
  HOST: optionalText.transform((v) => v ?? "127.0.0.1"),
  PORT: intInRange(8080, 0, 65535),
  DATA_DIR: optionalText.transform((v) => v ?? "./data"),
  LOG_LEVEL: enumOf(["fatal", "error", "warn", "info", "debug", "trace", "silent"] as const, "info"),
  LOG_PRETTY: booleanFlag(false),
  API_BASE_URL: optionalText,
  API_KEY: optionalText,
  ENCRYPTION_KEY: base64Key,
  ENCRYPTION_KEY_PREVIOUS: base64Key,
  DEBUG_ENDPOINTS_ENABLED: booleanFlag(false),
  DEBUG_NETWORK_TARGET: hostPort,
  MQTT_URL: optionalText.pipe(z.string().optional()).transform((v, ctx) => {
    if (v === undefined) return undefined;
    try {
      const u = new URL(v);
      if (u.protocol !== "mqtt:" && u.protocol !== "mqtts:") throw new Error("scheme");
      return { host: u.hostname.replace(/^\[|\]$/g, ""), port: u.port ? Number(u.port) : u.protocol === "mqtts:" ? 8883 : 1883, tls: u.protocol === "mqtts:" };
    } catch {
      ctx.addIssue({ code: "custom", message: "expected mqtt://host:port or mqtts://host:port" });
      return z.NEVER;
    }
  }),
  MQTT_USERNAME: optionalText,
  MQTT_PASSWORD: optionalText,
  MQTT_ACTOR: enumOf(["worker", "inline"] as const, "worker"),
  MQTT_WORKER_NICE: intInRange(10, 0, 19),
  EMBEDDED_BROKER: booleanFlag(true),
  EMBEDDED_BROKER_PORT: intInRange(1883, 0, 65535),
  HA_DISCOVERY_MODE: enumOf(["entity", "device"] as const, "entity"),
  HA_STATUS_TOPIC: optionalText.transform((v) => v ?? "homeassistant/status"),
  HA_BIRTH_DELAY_MAX_MS: intInRange(5000, 0, 600_000),
  WORKER_HEALTH_INTERVAL_MS: intInRange(30_000, 1000, 3_600_000),
  TIME_ZONE: timeZone,
  ACTIVITY_TIMEOUT_S: intInRange(300, 1, 86_400),
  EVENT_RETENTION_DAYS: intInRange(30, 1, 3650),
  OUTBOX_MAX_AGE_S: intInRange(86_400, 60, 30 * 86_400),
  OUTBOX_MAX_ENTRIES: intInRange(100_000, 100, 10_000_000),
  METRICS_PUBLIC: booleanFlag(false),
  SHUTDOWN_TIMEOUT_MS: intInRange(10_000, 100, 300_000),
});

/** Cross-field rules, reported against the variable to fix. */
export const envRules = envSchema.superRefine((env, ctx) => {
  if (env.MQTT_PASSWORD && !env.MQTT_USERNAME) {
    ctx.addIssue({ code: "custom", path: ["MQTT_PASSWORD"], message: "a password needs MQTT_USERNAME as well (MQTT 3.1.1 forbids a password alone)" });
  }
});

export type ParsedEnv = z.output<typeof envSchema>;
