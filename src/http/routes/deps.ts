import type { Config } from "../../config/config.js";
import type { Log } from "../../log.js";
import type { Metrics } from "../../metrics/metrics.js";
import type { MqttActorApi } from "../../mqtt/contract.js";
import type { CameraService } from "../../services/cameras.js";
import type { EventRuntime } from "../../services/events.js";
import type { MqttConfigService } from "../../services/mqtt-config.js";
import type { SystemSettingsService } from "../../services/system-settings.js";
import type { Store } from "../../store/store.js";

/** What route tables are built from. Assembled in createApp; tests assemble their own. */
export interface RouteDeps {
  config: Config;
  store: Store;
  mqtt: MqttActorApi;
  log: Log;
  metrics: Metrics;
  version: string;
  startedAt: number;
  services: {
    cameras: CameraService;
    systemSettings: SystemSettingsService;
    mqttConfig: MqttConfigService;
    events: EventRuntime;
  };
}
