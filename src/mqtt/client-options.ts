/**
 * Settings -> MQTT.js client options. Pure: the only I/O (reading TLS files) goes through the
 * injected `readFile`, so tests can pass a fake and callers decide when files are read.
 */
import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";
import { isIP } from "node:net";
import type { IClientOptions } from "mqtt";
import type { MqttProtocol, ConnectionTestParams } from "./contract.js";
import { effectiveAvailabilityTopic, type MqttSettings } from "./settings.js";

export type FileReader = (path: string) => Buffer;
const defaultReader: FileReader = (p) => readFileSync(p);

/** MQTT 3.1.1 servers only have to accept client ids of 1..23 characters from [0-9a-zA-Z]. */
const MAX_CLIENT_ID = 23;
const CLIENT_ID_PREFIX = "argus-bridge-";

/**
 * `argus-bridge-<instance_id>` when it fits in 23 characters, else `argus-bridge-` plus a stable
 * 10-character hash of the instance id. `suffix` (e.g. "t" for test connections) makes another
 * stable id for a second client of the same instance so the two never kick each other.
 */
export function clientIdFor(instanceId: string, suffix = ""): string {
  const clean = instanceId.replace(/[^A-Za-z0-9]/g, "");
  const full = `${CLIENT_ID_PREFIX}${suffix}${clean}`;
  if (clean !== "" && full.length <= MAX_CLIENT_ID) return full;
  const room = MAX_CLIENT_ID - CLIENT_ID_PREFIX.length - suffix.length;
  const hash = createHash("sha256").update(instanceId).digest("hex").slice(0, room);
  return `${CLIENT_ID_PREFIX}${suffix}${hash}`;
}

export function brokerUrl(s: Pick<MqttSettings, "broker_host" | "broker_port" | "use_tls">): string {
  const host = s.broker_host.includes(":") && !s.broker_host.startsWith("[") ? `[${s.broker_host}]` : s.broker_host;
  return `${s.use_tls ? "mqtts" : "mqtt"}://${host}:${s.broker_port}`;
}

/** Key under which a protocol fallback is remembered: one per broker endpoint. */
export function brokerKey(s: Pick<MqttSettings, "broker_host" | "broker_port" | "use_tls">): string {
  return brokerUrl(s);
}

export function protocolVersionOf(p: MqttProtocol): 4 | 5 {
  return p === "5.0" ? 5 : 4;
}

export interface ClientOptionParams {
  instance_id: string;
  protocol: MqttProtocol;
  connect_timeout_ms: number;
  keepalive_s?: number;
}

/** TLS options common to the main client and the test client. */
function tlsOptions(
  s: Pick<MqttSettings, "use_tls" | "tls_ca_file" | "tls_cert_file" | "tls_key_file" | "tls_reject_unauthorized" | "broker_host">,
  readFile: FileReader,
): Partial<IClientOptions> {
  if (!s.use_tls) return {};
  // SNI carries host names only (RFC 6066); an IP address is verified against the certificate's IP SANs.
  const o: Partial<IClientOptions> = { rejectUnauthorized: s.tls_reject_unauthorized, ...(isIP(s.broker_host) ? {} : { servername: s.broker_host }) };
  if (s.tls_ca_file) o.ca = readFile(s.tls_ca_file);
  if (s.tls_cert_file) o.cert = readFile(s.tls_cert_file);
  if (s.tls_key_file) o.key = readFile(s.tls_key_file);
  return o;
}

/** Options for the long-lived client. Reconnects are driven by the actor (reconnectPeriod 0). */
export function buildClientOptions(settings: MqttSettings, p: ClientOptionParams, readFile: FileReader = defaultReader): IClientOptions {
  const v = protocolVersionOf(p.protocol);
  const opts: IClientOptions = {
    host: settings.broker_host,
    port: settings.broker_port,
    protocol: settings.use_tls ? "mqtts" : "mqtt",
    protocolVersion: v,
    clientId: clientIdFor(p.instance_id),
    clean: true,
    keepalive: p.keepalive_s ?? 30,
    reconnectPeriod: 0,
    reconnectOnConnackError: false,
    connectTimeout: p.connect_timeout_ms,
    // A QoS 0 message queued while offline would be flushed late and out of context.
    queueQoSZero: false,
    resubscribe: false,
    // mqtt-packet's number cache is 65,536 two-byte Buffers (~6 MB of heap) kept for the process's
    // life; allocating the two bytes per packet costs far less than that on a small machine.
    writeCache: false,
    will: {
      topic: effectiveAvailabilityTopic(settings),
      payload: Buffer.from(settings.will_message),
      qos: 1,
      retain: true,
      // No will delay and no message expiry: the retained "offline" must persist.
    },
    ...tlsOptions(settings, readFile),
  };
  if (settings.username) opts.username = settings.username;
  if (settings.password) opts.password = settings.password;
  if (v === 5) opts.properties = { sessionExpiryInterval: 0 };
  return opts;
}

/** Options for a one-off connection test: no will, a distinct client id, the given timeout. */
export function buildTestClientOptions(
  params: ConnectionTestParams,
  p: { instance_id: string; protocol: MqttProtocol; timeout_ms: number; nonce: string },
  readFile: FileReader = defaultReader,
): IClientOptions {
  const opts: IClientOptions = {
    host: params.broker_host,
    port: params.broker_port,
    protocol: params.use_tls ? "mqtts" : "mqtt",
    protocolVersion: protocolVersionOf(p.protocol),
    clientId: clientIdFor(`${p.instance_id}${p.nonce}`, "t"),
    clean: true,
    keepalive: 10,
    reconnectPeriod: 0,
    connectTimeout: p.timeout_ms,
    queueQoSZero: false,
    ...tlsOptions(
      {
        use_tls: params.use_tls,
        tls_ca_file: null,
        tls_cert_file: null,
        tls_key_file: null,
        tls_reject_unauthorized: true,
        broker_host: params.broker_host,
      },
      readFile,
    ),
  };
  if (params.username) opts.username = params.username;
  if (params.password) opts.password = params.password;
  return opts;
}

/** Fields whose change requires a new connection (they are part of CONNECT). */
export const CONNECTION_FIELDS = [
  "enabled",
  "broker_host",
  "broker_port",
  "username",
  "password",
  "use_tls",
  "tls_ca_file",
  "tls_cert_file",
  "tls_key_file",
  "tls_reject_unauthorized",
  "availability_topic",
  "topic_prefix",
  "will_message",
] as const satisfies readonly (keyof MqttSettings)[];

export function connectionChanged(a: MqttSettings, b: MqttSettings): boolean {
  return CONNECTION_FIELDS.some((k) => a[k] !== b[k]);
}
