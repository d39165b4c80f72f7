/**
 * The real MQTT actor, inline, with the integration turned off (no broker configured): what a
 * service without MQTT runs. HTTP tests that are not about MQTT use it.
 */
import { MqttActor } from "../../src/mqtt/actor.js";
import type { MqttActorApi } from "../../src/mqtt/contract.js";
import type { MqttSettings } from "../../src/mqtt/settings.js";

export const OFFLINE_SETTINGS: MqttSettings = {
  enabled: false,
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
  ha_birth_delay_max_ms: 0,
};

export async function offlineMqtt(): Promise<MqttActorApi & { close: () => Promise<void> }> {
  const actor = new MqttActor();
  await actor.start({ settings: OFFLINE_SETTINGS, cameras: [], state: [], app_version: "test", instance_id: "offline-test" }, () => {});
  return Object.assign(actor, { close: () => actor.stop() });
}
