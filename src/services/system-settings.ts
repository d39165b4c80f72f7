/**
 * System settings: the AI provider keys (write-only, sealed at rest) and the provider order.
 * A PUT is applied in one transaction: either every field changes or none does.
 */
import { z } from "zod";
import { ValidationError } from "../errors.js";
import type { Store } from "../store/store.js";
import { AI_PROVIDERS, MASK_PREFIX, aiKeyField, aiKeySetting, maskSecret, type AiProvider } from "./ai-providers.js";

const ORDER_SETTING = "system.ai_provider_order";

const apiKeyValue = z
  .string()
  .max(512, { message: "must be at most 512 characters" })
  .refine((s) => s.isWellFormed() && !/[\u0000-\u001F\u007F\s]/.test(s), { message: "must not contain whitespace or control characters" })
  .nullable();

export const systemSettingsUpdateSchema = z
  .object({
    ai_api_key_openai: apiKeyValue.optional(),
    ai_api_key_anthropic: apiKeyValue.optional(),
    ai_api_key_google: apiKeyValue.optional(),
    ai_api_key_grok: apiKeyValue.optional(),
    ai_provider_order: z
      .array(z.enum(AI_PROVIDERS))
      .max(AI_PROVIDERS.length)
      .refine((a) => new Set(a).size === a.length, { message: "must not repeat a provider" })
      .optional(),
  })
  .strict();

export const systemSettingsSchema = z.object({
  ai_api_key_openai: z.string().nullable(),
  ai_api_key_anthropic: z.string().nullable(),
  ai_api_key_google: z.string().nullable(),
  ai_api_key_grok: z.string().nullable(),
  ai_provider_order: z.array(z.enum(AI_PROVIDERS)),
});

export type SystemSettingsView = z.output<typeof systemSettingsSchema>;
export type SystemSettingsUpdate = z.output<typeof systemSettingsUpdateSchema>;

export class SystemSettingsService {
  constructor(private readonly store: Store) {}

  view(): SystemSettingsView {
    const view = { ai_provider_order: this.order() } as SystemSettingsView;
    for (const p of AI_PROVIDERS) {
      const secret = this.store.settings.getSecret(aiKeySetting(p));
      view[aiKeyField(p)] = secret === undefined ? null : maskSecret(secret);
    }
    return view;
  }

  update(input: SystemSettingsUpdate): SystemSettingsView {
    this.store.settings.transaction(() => {
      for (const p of AI_PROVIDERS) {
        const value = input[aiKeyField(p)];
        if (value === undefined) continue;
        // A masked echo of what GET returned, or an empty string, changes nothing; null removes.
        if (value !== null && (value === "" || value.startsWith(MASK_PREFIX))) continue;
        if (value === null) this.store.settings.delete(aiKeySetting(p));
        else this.store.settings.setSecret(aiKeySetting(p), value);
      }
      if (input.ai_provider_order) this.store.settings.setJson(ORDER_SETTING, input.ai_provider_order);
    });
    return this.view();
  }

  providers(): { providers: { provider: AiProvider; configured: boolean }[]; order: AiProvider[] } {
    return {
      providers: AI_PROVIDERS.map((provider) => ({ provider, configured: this.store.settings.secretInfo(aiKeySetting(provider)).configured })),
      order: this.order(),
    };
  }

  /** For the debug route: configured and encrypted flags only, never a byte of the key. */
  keyStorageReport(): { provider: AiProvider; configured: boolean; encrypted: boolean }[] {
    return AI_PROVIDERS.map((provider) => ({ provider, ...this.store.settings.secretInfo(aiKeySetting(provider)) }));
  }

  private order(): AiProvider[] {
    const stored = this.store.settings.getJson<AiProvider[]>(ORDER_SETTING);
    if (!stored) return [...AI_PROVIDERS];
    if (!stored.every((p) => (AI_PROVIDERS as readonly string[]).includes(p))) throw new ValidationError([{ field: "ai_provider_order", message: "stored order is corrupt" }]);
    return stored;
  }
}
