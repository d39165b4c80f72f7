/** Shared field schemas: strict text that refuses what would corrupt storage or a log line. */
import { z } from "zod";

// Control characters and line separators never belong in a one-line field such as a name;
// multi-line text (descriptions) may keep tab and newline.
const CONTROL_ONE_LINE = /[\u0000-\u001F\u007F-\u009F\u2028\u2029]/;
const CONTROL_MULTI_LINE = /[\u0000-\u0008\u000B\u000C\u000E-\u001F\u007F-\u009F\u2028\u2029]/;

/** Text without unpaired surrogates or control characters, NFC-normalised and trimmed. */
export const cleanText = (min: number, max: number, opts: { multiline?: boolean } = {}) =>
  z
    .string()
    .refine((s) => s.isWellFormed(), { message: "contains an unpaired surrogate (invalid unicode)" })
    .refine((s) => !(opts.multiline ? CONTROL_MULTI_LINE : CONTROL_ONE_LINE).test(s), { message: "contains control characters" })
    .transform((s) => s.normalize("NFC").trim())
    .pipe(z.string().min(min, { message: `must be at least ${min} character(s) after trimming` }).max(max, { message: `must be at most ${max} characters` }));

export const uuidParam = z.object({ id: z.uuid({ message: "must be a UUID" }) }).strict();
