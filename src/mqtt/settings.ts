/**
 * MQTT integration settings as the actor needs them. The password is plaintext here because the
 * actor must log in; it is encrypted at rest and never leaves the process in a response or a log.
 */
export type DiscoveryMode = "entity" | "device";

export interface MqttSettings {
  enabled: boolean;
  broker_host: string;
  broker_port: number;
  username: string | null;
  password: string | null;
  use_tls: boolean;
  tls_ca_file: string | null;
  tls_cert_file: string | null;
  tls_key_file: string | null;
  tls_reject_unauthorized: boolean;
  topic_prefix: string;
  discovery_prefix: string;
  discovery_enabled: boolean;
  discovery_mode: DiscoveryMode;
  qos: 0 | 1 | 2;
  retain_messages: boolean;
  /** Applies to event messages only: retained discovery and state never expire. */
  message_expiry_seconds: number;
  /** Empty string means `${topic_prefix}/status`. */
  availability_topic: string;
  birth_message: string;
  will_message: string;
  /** Home Assistant's own birth topic, `homeassistant/status` by default. */
  ha_status_topic: string;
  /** Upper bound of the random delay before republishing after Home Assistant's birth. */
  ha_birth_delay_max_ms: number;
}

export function effectiveAvailabilityTopic(s: Pick<MqttSettings, "availability_topic" | "topic_prefix">): string {
  return s.availability_topic.trim() !== "" ? s.availability_topic : `${s.topic_prefix}/status`;
}

/** Defaults of the compatibility contract (argusai-compat.md); the broker itself has none. */
export function defaultMqttSettings(overrides: Partial<MqttSettings> = {}): MqttSettings {
  return {
    enabled: true,
    broker_host: "",
    broker_port: 1883,
    username: null,
    password: null,
    use_tls: false,
    tls_ca_file: null,
    tls_cert_file: null,
    tls_key_file: null,
    tls_reject_unauthorized: true,
    topic_prefix: "liveobject",
    discovery_prefix: "homeassistant",
    discovery_enabled: true,
    discovery_mode: "entity",
    qos: 1,
    retain_messages: true,
    message_expiry_seconds: 300,
    availability_topic: "",
    birth_message: "online",
    will_message: "offline",
    ha_status_topic: "homeassistant/status",
    ha_birth_delay_max_ms: 5000,
    ...overrides,
  };
}
