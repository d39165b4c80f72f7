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
  return pino(common, (options.destination as pino.DestinationStream | undefined) ?? stdoutDestination());
}

/**
 * Asynchronous stdout: a slow reader (a full pipe, a busy journald or container runtime) must not
 * stall the HTTP thread, which a synchronous write does for as long as the reader is away. Lines
 * are written in order as soon as possible; pino flushes what is buffered when the process exits.
 * Bounded: beyond LOG_BUFFER_MAX_BYTES waiting for a reader that does not come, lines are dropped
 * (sonic-boom emits "drop") rather than growing the heap without limit.
 */
const LOG_BUFFER_MAX_BYTES = 16 * 1024 * 1024;

function stdoutDestination(): pino.DestinationStream {
  return pino.destination({ dest: 1, sync: false, minLength: 0, maxLength: LOG_BUFFER_MAX_BYTES });
}
