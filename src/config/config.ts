/**
 * Configuration is read once at start-up: a `.env` file when present (real environment wins), then
 * validated. A bad value stops the start with a message naming the variable, never its value when
 * the value is a secret.
 */
import { existsSync, readFileSync } from "node:fs";
import { resolve } from "node:path";
import { envRules, type ParsedEnv } from "./env-schema.js";

export type Config = ParsedEnv & {
  /** Absolute form of DATA_DIR. */
  dataDir: string;
  /** Base URL for links in payloads, defaulting to the listening address. */
  apiBaseUrl: string;
};

export class ConfigError extends Error {
  constructor(readonly problems: { variable: string; message: string }[]) {
    super(`Invalid configuration:\n${problems.map((p) => `  ${p.variable}: ${p.message}`).join("\n")}`);
    this.name = "ConfigError";
  }
}

/** Minimal dotenv: KEY=VALUE lines, optional quotes, # comments. No interpolation on purpose. */
export function parseDotEnv(text: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const rawLine of text.split(/\r?\n/)) {
    const line = rawLine.trim();
    if (line === "" || line.startsWith("#")) continue;
    const m = /^(?:export\s+)?([A-Za-z_][A-Za-z0-9_]*)\s*=\s*(.*)$/.exec(line);
    if (!m) continue;
    let value = m[2]!;
    const quoted = /^(['"])(.*)\1$/.exec(value);
    if (quoted) value = quoted[2]!;
    else value = value.replace(/\s+#.*$/, "");
    out[m[1]!] = value;
  }
  return out;
}

export function loadConfig(env: NodeJS.ProcessEnv = process.env, options: { dotEnvPath?: string | null } = {}): Config {
  const dotEnvPath = options.dotEnvPath === undefined ? resolve(".env") : options.dotEnvPath;
  const fromFile = dotEnvPath && existsSync(dotEnvPath) ? parseDotEnv(readFileSync(dotEnvPath, "utf8")) : {};
  const merged: Record<string, string | undefined> = { ...fromFile };
  for (const [k, v] of Object.entries(env)) if (v !== undefined) merged[k] = v;

  const parsed = envRules.safeParse(merged);
  if (!parsed.success) {
    throw new ConfigError(
      parsed.error.issues.map((issue) => ({ variable: String(issue.path[0] ?? "?"), message: issue.message })),
    );
  }
  const cfg = parsed.data;
  const hostForUrl = cfg.HOST.includes(":") ? `[${cfg.HOST}]` : cfg.HOST;
  return {
    ...cfg,
    dataDir: resolve(cfg.DATA_DIR),
    apiBaseUrl: (cfg.API_BASE_URL ?? `http://${hostForUrl}:${cfg.PORT}`).replace(/\/+$/, ""),
  };
}
