/**
 * Embedded MQTT broker (aedes) for installations without one, and for tests. Listens on loopback
 * only. aedes speaks MQTT 3.1.1: a v5 CONNECT is refused (return code 1) and the actor falls back.
 */
import { createServer, type AddressInfo, type Server, type Socket } from "node:net";
import { Aedes } from "aedes";

export interface EmbeddedBrokerOptions {
  /** 0 (default) picks a free port. */
  port?: number;
  /** Optional username/password check. */
  credentials?: { username: string; password: string };
}

export interface EmbeddedBroker {
  readonly port: number;
  readonly url: string;
  readonly aedes: Aedes;
  stop(): Promise<void>;
}

export async function startEmbeddedBroker(opts: EmbeddedBrokerOptions = {}): Promise<EmbeddedBroker> {
  const aedes = await Aedes.createBroker();
  if (opts.credentials) {
    const { username, password } = opts.credentials;
    aedes.authenticate = (_client, user, pass, done) => {
      if (user === username && pass?.toString() === password) done(null, true);
      else done(Object.assign(new Error("bad username or password"), { returnCode: 4 as const }), null);
    };
  }
  const sockets = new Set<Socket>();
  const server: Server = createServer((sock) => {
    sockets.add(sock);
    sock.on("close", () => sockets.delete(sock));
    aedes.handle(sock);
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(opts.port ?? 0, "127.0.0.1", () => {
      server.off("error", reject);
      resolve();
    });
  });
  const port = (server.address() as AddressInfo).port;
  let stopped = false;
  return {
    port,
    url: `mqtt://127.0.0.1:${port}`,
    aedes,
    async stop() {
      if (stopped) return;
      stopped = true;
      for (const s of sockets) s.destroy();
      await new Promise<void>((r) => server.close(() => r()));
      await new Promise<void>((r) => aedes.close(() => r()));
    },
  };
}
