/**
 * API key management from the shell, against the same data folder as the service:
 *   npm run keys -- create --name NAME --scope read,write
 *   npm run keys -- list
 *   npm run keys -- revoke ID
 */
import { SCOPES, type Scope } from "../auth/api-keys.js";
import { ConfigError, loadConfig } from "../config/config.js";
import { resolveEncryptionKey } from "../crypto/key-file.js";
import { SecretBox } from "../crypto/secret-box.js";
import { databasePath, openStore } from "../store/store.js";

const USAGE = `usage:
  keys create --name NAME --scope read[,write][,admin]
  keys list
  keys revoke ID`;

function fail(message: string): never {
  process.stderr.write(`${message}\n${USAGE}\n`);
  process.exit(2);
}

function flag(args: string[], name: string): string | undefined {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? args[i + 1] : undefined;
}

function main(argv: string[]): void {
  const [command, ...args] = argv;
  let config;
  try {
    config = loadConfig();
  } catch (err) {
    if (err instanceof ConfigError) fail(err.message);
    throw err;
  }
  const { key } = resolveEncryptionKey(config.dataDir, config.ENCRYPTION_KEY);
  const store = openStore({ file: databasePath(config.dataDir), box: new SecretBox(key, config.ENCRYPTION_KEY_PREVIOUS) });
  try {
    switch (command) {
      case "create": {
        const name = flag(args, "name")?.trim();
        if (!name || name.length > 100) fail("--name is required (1-100 characters)");
        const scopes = (flag(args, "scope") ?? "read").split(",").map((s) => s.trim()) as Scope[];
        const bad = scopes.filter((s) => !(SCOPES as readonly string[]).includes(s));
        if (bad.length > 0) fail(`unknown scope(s): ${bad.join(", ")}; use ${SCOPES.join(", ")}`);
        const created = store.apiKeys.create(name, scopes);
        process.stdout.write(`id:     ${created.key.id}\nscopes: ${created.key.scopes.join(",")}\nkey:    ${created.token}\n(shown once: store it now)\n`);
        break;
      }
      case "list":
        for (const k of store.apiKeys.list()) {
          process.stdout.write(`${k.id}  ${k.revoked_at ? "revoked" : "active "}  ${k.scopes.join(",").padEnd(16)}  ${k.name}  created ${k.created_at}  last used ${k.last_used_at ?? "never"}\n`);
        }
        break;
      case "revoke": {
        const id = args[0];
        if (!id) fail("revoke needs a key id (see `keys list`)");
        if (!store.apiKeys.revoke(id)) fail(`no active key with id ${id}`);
        process.stdout.write(`revoked ${id}\n`);
        break;
      }
      default:
        fail(command ? `unknown command: ${command}` : "a command is required");
    }
  } finally {
    store.close();
  }
}

main(process.argv.slice(2));
