/** The AI providers whose keys the system settings hold: a table, not four code paths. */
export const AI_PROVIDERS = ["openai", "anthropic", "google", "grok"] as const;
export type AiProvider = (typeof AI_PROVIDERS)[number];

export const aiKeySetting = (provider: AiProvider): string => `secret.ai_api_key.${provider}`;
export const aiKeyField = (provider: AiProvider): `ai_api_key_${AiProvider}` => `ai_api_key_${provider}`;

export const MASK_PREFIX = "****";

/** `****` + last 4, the display form of a write-only secret (the compat contract's masking). */
export function maskSecret(value: string): string {
  return MASK_PREFIX + [...value].slice(-4).join("");
}
