/** Piscina task: renders discovery configs for a slice of cameras (pure, no I/O). */
import { renderDiscovery, type RetainedMessage } from "../src/ha/discovery.js";
import type { RenderTask } from "../src/mqtt/render-pool.js";

export default function render(task: RenderTask): RetainedMessage[] {
  return renderDiscovery(task.cameras, task.ctx);
}
