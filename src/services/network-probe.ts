/**
 * A TCP reachability probe of one operator-configured target. No address lives in the code: the
 * target comes from DEBUG_NETWORK_TARGET only.
 */
import { Socket } from "node:net";

export interface ProbeTarget {
  host: string;
  port: number;
}

export interface ProbeResult {
  target: string;
  reachable: boolean;
  latency_ms: number | null;
  error: string | null;
}

export function probeTcp(target: ProbeTarget, timeoutMs = 3000): Promise<ProbeResult> {
  const label = `${target.host.includes(":") ? `[${target.host}]` : target.host}:${target.port}`;
  return new Promise((resolve) => {
    const started = process.hrtime.bigint();
    const socket = new Socket();
    let settled = false;
    const finish = (reachable: boolean, error: string | null) => {
      if (settled) return;
      settled = true;
      socket.destroy();
      const elapsed = Number(process.hrtime.bigint() - started) / 1e6;
      resolve({ target: label, reachable, latency_ms: reachable ? Math.round(elapsed * 100) / 100 : null, error });
    };
    socket.setTimeout(timeoutMs, () => finish(false, `timeout after ${timeoutMs} ms`));
    socket.once("connect", () => finish(true, null));
    // Only the error code: messages can carry resolver details.
    socket.once("error", (err: NodeJS.ErrnoException) => finish(false, err.code ?? "connection failed"));
    socket.connect(target.port, target.host);
  });
}
