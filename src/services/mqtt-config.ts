/**
 * MQTT integration settings: stored as JSON plus a sealed password, validated once here, and
 * turned into the actor's `MqttSettings`. With no broker configured the embedded broker is used.
 */
import { z } from "zod";
import type { Config } from "../config/config.js";
import { defaultMqttSettings, type MqttSettings } from "../mqtt/settings.js";
import { ValidationError } from "../errors.js";
import type { Store } from "../store/store.js";

const CONFIG_KEY = "mqtt.config";
const PASSWORD_KEY = "secret.mqtt.password";

const topicPart = (label: string) =>
  z
    .string()
    .min(1, { message: `${label} must not be empty` })
    .max(100)
    .refine((s) => s.isWellFormed() && !/[+#\u0000-\u001F\u007F]/.test(s), { message: "must not contain +, # or control characters" })
    .refine((s) => !s.startsWith("/") && !s.endsWith("/") && !s.includes("//"), { message: "must not start or end with / or contain //" });

const payloadText = z
  .string()
  .min(1)
  .max(100)
  .refine((s) => s.isWellFormed() && !/[\u0000-\u001F\u007F]/.test(s), { message: "must not contain control characters" });

const filePath = z
  .string()
  .min(1)
  .max(1024)
  .refine((s) => s.isWellFormed() && !/[\u0000-\u001F]/.test(s), { message: "must be a plain file path" })
  .nullable();

const hostName = z
  .string()
  .min(1, { message: "must not be empty" })
  .max(255)
  .refine((s) => /^[A-Za-z0-9.:_\-\[\]]+$/.test(s), { message: "must be a host name or IP address" });

/** Stored (and updatable) fields, except the password. */
const storedShape = {
  enabled: z.boolean(),
  broker_host: hostName.nullable(),
  broker_port: z.number().int().min(1).max(65535),
  username: z.string().max(255).refine((s) => s.isWellFormed() && !/[\u0000-\u001F]/.test(s), { message: "must not contain control characters" }).nullable(),
  use_tls: z.boolean(),
  tls_ca_file: filePath,
  tls_cert_file: filePath,
  tls_key_file: filePath,
  tls_reject_unauthorized: z.boolean(),
  topic_prefix: topicPart("topic_prefix"),
  discovery_prefix: topicPart("discovery_prefix"),
  discovery_enabled: z.boolean(),
  discovery_mode: z.enum(["entity", "device"]),
  qos: z.union([z.literal(0), z.literal(1), z.literal(2)]),
  retain_messages: z.boolean(),
  message_expiry_seconds: z.number().int().min(60).max(3600),
  availability_topic: z.union([z.literal(""), topicPart("availability_topic")]),
  birth_message: payloadText,
  will_message: payloadText,
  ha_status_topic: topicPart("ha_status_topic"),
  ha_birth_delay_max_ms: z.number().int().min(0).max(600_000),
};

const storedSchema = z.object(storedShape);
type StoredMqttConfig = z.output<typeof storedSchema>;

export const mqttConfigUpdateSchema = z
  .object({
    ...Object.fromEntries(Object.entries(storedShape).map(([k, v]) => [k, (v as z.ZodType).optional()])),
    broker_host: hostName,
    password: z.string().max(1024).nullable().optional(),
  })
  .strict() as unknown as z.ZodType<Partial<StoredMqttConfig> & { broker_host: string; password?: string | null }>;

export const mqttConfigViewSchema = storedSchema.extend({
  broker_host: z.string().nullable(),
  has_password: z.boolean(),
  embedded_broker: z.boolean(),
  effective_availability_topic: z.string(),
});

export type MqttConfigView = z.output<typeof mqttConfigViewSchema>;
export type MqttConfigUpdate = z.output<typeof mqttConfigUpdateSchema>;

export function defaultMqttConfig(cfg: Pick<Config, "HA_DISCOVERY_MODE" | "HA_STATUS_TOPIC" | "HA_BIRTH_DELAY_MAX_MS">): StoredMqttConfig {
  const { password: _password, ...defaults } = defaultMqttSettings({
    discovery_mode: cfg.HA_DISCOVERY_MODE,
    ha_status_topic: cfg.HA_STATUS_TOPIC,
    ha_birth_delay_max_ms: cfg.HA_BIRTH_DELAY_MAX_MS,
  });
  // No broker by default: the embedded one is used until one is configured.
  return { ...defaults, broker_host: null };
}

export class MqttConfigService {
  private cached: StoredMqttConfig | null = null;

  constructor(
    private readonly store: Store,
    private readonly cfg: Pick<Config, "HA_DISCOVERY_MODE" | "HA_STATUS_TOPIC" | "HA_BIRTH_DELAY_MAX_MS" | "EMBEDDED_BROKER" | "EMBEDDED_BROKER_PORT">,
  ) {}

  /** On a first start, MQTT_URL / MQTT_USERNAME / MQTT_PASSWORD seed the stored settings. */
  seedFromEnv(env: Pick<Config, "MQTT_URL" | "MQTT_USERNAME" | "MQTT_PASSWORD">): boolean {
    if (this.store.settings.getJson(CONFIG_KEY) !== undefined || !env.MQTT_URL) return false;
    this.cached = null;
    this.store.settings.transaction(() => {
      this.store.settings.setJson(CONFIG_KEY, {
        ...defaultMqttConfig(this.cfg),
        broker_host: env.MQTT_URL!.host,
        broker_port: env.MQTT_URL!.port,
        use_tls: env.MQTT_URL!.tls,
        username: env.MQTT_USERNAME ?? null,
      });
      if (env.MQTT_PASSWORD) this.store.settings.setSecret(PASSWORD_KEY, env.MQTT_PASSWORD);
    });
    return true;
  }

  /** Parsed once and kept until this service writes it again (the outbox pump reads it per batch). */
  stored(): StoredMqttConfig {
    if (!this.cached) {
      const raw = this.store.settings.getJson<Partial<StoredMqttConfig>>(CONFIG_KEY) ?? {};
      // Fields added by later versions fall back to their defaults.
      this.cached = storedSchema.parse({ ...defaultMqttConfig(this.cfg), ...raw });
    }
    return this.cached;
  }

  usesEmbeddedBroker(): boolean {
    return this.stored().broker_host === null && this.cfg.EMBEDDED_BROKER;
  }

  view(): MqttConfigView {
    const s = this.stored();
    const embedded = s.broker_host === null && this.cfg.EMBEDDED_BROKER;
    return {
      ...s,
      broker_host: embedded ? "127.0.0.1" : s.broker_host,
      broker_port: embedded ? this.cfg.EMBEDDED_BROKER_PORT : s.broker_port,
      has_password: this.store.settings.secretInfo(PASSWORD_KEY).configured,
      embedded_broker: embedded,
      effective_availability_topic: s.availability_topic !== "" ? s.availability_topic : `${s.topic_prefix}/status`,
    };
  }

  update(input: MqttConfigUpdate): MqttConfigView {
    const { password, ...fields } = input;
    const next = storedSchema.parse({ ...this.stored(), ...Object.fromEntries(Object.entries(fields).filter(([, v]) => v !== undefined)) });
    // MQTT 3.1.1 forbids a password without a user name, and brokers drop such a connection silently.
    const keepsPassword = password === undefined || password === "" ? this.store.settings.secretInfo(PASSWORD_KEY).configured : password !== null;
    if (keepsPassword && !next.username) throw new ValidationError([{ field: "password", message: "a password needs a username (set username, or send password: null)" }]);
    this.cached = null;
    this.store.settings.transaction(() => {
      this.store.settings.setJson(CONFIG_KEY, next);
      // Empty or absent keeps the old password; null removes it.
      if (password === null) this.store.settings.delete(PASSWORD_KEY);
      else if (password !== undefined && password !== "") this.store.settings.setSecret(PASSWORD_KEY, password);
    });
    return this.view();
  }

  /** What the actor needs, password included. Never returned over HTTP. */
  actorSettings(): MqttSettings {
    const s = this.stored();
    const embedded = s.broker_host === null && this.cfg.EMBEDDED_BROKER;
    return {
      ...s,
      enabled: s.enabled && (s.broker_host !== null || embedded),
      broker_host: embedded ? "127.0.0.1" : (s.broker_host ?? ""),
      broker_port: embedded ? this.cfg.EMBEDDED_BROKER_PORT : s.broker_port,
      password: this.store.settings.getSecret(PASSWORD_KEY) ?? null,
    };
  }
}
