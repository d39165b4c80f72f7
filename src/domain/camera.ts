/** Camera as stored and as seen by every actor. Plain data: it crosses thread boundaries. */
export const CAMERA_TYPES = ["rtsp", "usb", "protect"] as const;
export type CameraType = (typeof CAMERA_TYPES)[number];

export interface Camera {
  id: string;
  name: string;
  type: CameraType;
  source_type: CameraType;
  is_doorbell: boolean;
  is_enabled: boolean;
  created_at: string;
  updated_at: string;
}

/** Runtime state reported by the capture side; mapped to a Home Assistant status. */
export const CAMERA_RUNTIME_STATES = ["connected", "starting", "disconnected", "error", "stopped"] as const;
export type CameraRuntimeState = (typeof CAMERA_RUNTIME_STATES)[number];
export type CameraStatus = "online" | "offline" | "unavailable";
