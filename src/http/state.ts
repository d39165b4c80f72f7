import type { ApiKeyInfo } from "../auth/api-keys.js";
import type { Log } from "../log.js";

/** Per-request state set by middleware. */
export interface AppState {
  requestId: string;
  log: Log;
  apiKey?: ApiKeyInfo;
}
