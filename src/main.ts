/** Entry point: configuration, then the service, then signal handling. */
import "./v8-flags.js"; // first: heap tuning must precede every other module's allocations
import { ConfigError, loadConfig } from "./config/config.js";
import { createLog } from "./log.js";
import { startService } from "./service.js";

async function main(): Promise<void> {
  let config;
  try {
    config = loadConfig();
  } catch (err) {
    if (err instanceof ConfigError) {
      process.stderr.write(`argus-bridge: ${err.message}\nSee .env.example for every variable and its default.\n`);
      process.exit(2);
    }
    throw err;
  }
  const log = createLog({ level: config.LOG_LEVEL, pretty: config.LOG_PRETTY });
  const service = await startService(config, log);

  let stopping = false;
  const stop = (signal: string) => {
    if (stopping) return;
    stopping = true;
    log.info({ signal }, "shutting down: finishing in-flight requests");
    service
      .close()
      .then(() => {
        log.info("stopped");
        process.exit(0);
      })
      .catch((err: unknown) => {
        log.error({ err }, "shutdown failed");
        process.exit(1);
      });
  };
  process.on("SIGINT", () => stop("SIGINT"));
  process.on("SIGTERM", () => stop("SIGTERM"));
  process.on("unhandledRejection", (reason) => log.error({ err: reason }, "unhandled rejection"));
}

main().catch((err: unknown) => {
  process.stderr.write(`argus-bridge failed to start: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
});
