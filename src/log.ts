/**
 * Structured JSON logs (pino). Pretty output for a terminal in development only; the redaction list
 * is a second line of defence: code never passes secrets to the logger in the first place.
 */
import { pino, type Logger } from "pino";

export type Log = Logger;

export const REDACT_PATHS = [
  "password",
  "*.password",
  "api_key",
  "*.api_key",
  "key",
  "*.key",
  "authorization",
  "*.authorization",
  "req.headers.authorization",
  'req.headers["x-api-key"]',
];

export function createLog(options: { level: string; pretty?: boolean; destination?: NodeJS.WritableStream; base?: Record<string, unknown> }): Log {
  const common = {
    level: options.level,
    base: options.base ?? { service: "argus-bridge" },
    redact: { paths: REDACT_PATHS, censor: "[redacted]" },
    timestamp: pino.stdTimeFunctions.isoTime,
  };
  if (options.pretty) {
    return pino({ ...common, transport: { target: "pino-pretty", options: { colorize: true, translateTime: "SYS:HH:MM:ss.l" } } });
  }
  return options.destination ? pino(common, options.destination as pino.DestinationStream) : pino(common);
}
