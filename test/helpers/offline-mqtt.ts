/**
 * The real MQTT actor, inline, with the integration turned off (no broker configured): what a
 * service without MQTT runs. HTTP tests that are not about MQTT use it.
 */
import { MqttActor } from "../../src/mqtt/actor.js";
import type { MqttActorApi } from "../../src/mqtt/contract.js";
import { defaultMqttSettings, type MqttSettings } from "../../src/mqtt/settings.js";

export const OFFLINE_SETTINGS: MqttSettings = defaultMqttSettings({ enabled: false, ha_birth_delay_max_ms: 0 });

export async function offlineMqtt(): Promise<MqttActorApi & { close: () => Promise<void> }> {
  const actor = new MqttActor();
  await actor.start({ settings: OFFLINE_SETTINGS, cameras: [], state: [], app_version: "test", instance_id: "offline-test" }, () => {});
  return Object.assign(actor, { close: () => actor.stop() });
}
