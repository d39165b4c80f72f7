/**
 * Baseline for the events figure: a bare Koa app with one JSON route, no auth, no validation, no
 * store, no MQTT. Run as its own process (like the service); prints its URL on stdout.
 */
import { randomUUID } from "node:crypto";
import Koa from "koa";

const app = new Koa();
app.use(async (ctx) => {
  if (ctx.method !== "POST" || ctx.path !== "/api/v1/events") {
    ctx.status = 404;
    return;
  }
  const chunks: Buffer[] = [];
  for await (const c of ctx.req) chunks.push(c as Buffer);
  const body = JSON.parse(Buffer.concat(chunks).toString("utf8")) as Record<string, unknown>;
  ctx.status = 201;
  ctx.body = { ...body, id: randomUUID(), timestamp: new Date().toISOString() };
});
const server = app.listen(0, "127.0.0.1", () => {
  const addr = server.address();
  if (addr && typeof addr === "object") process.stdout.write(`listening http://127.0.0.1:${addr.port}\n`);
});
process.on("SIGTERM", () => {
  server.closeAllConnections();
  server.close(() => process.exit(0));
});
