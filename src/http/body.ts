/**
 * Request bodies: JSON only, at most 1 MiB, read as a stream so an oversized body is refused without
 * being buffered whole. Parsing problems are 400/413/415; schema problems are 422 naming each field.
 */
import type { IncomingMessage } from "node:http";
import type { ParameterizedContext } from "koa";
import { z } from "zod";
import { BadRequestError, PayloadTooLargeError, UnsupportedMediaTypeError, ValidationError, type FieldError } from "../errors.js";

export const MAX_BODY_BYTES = 1024 * 1024;
const MAX_DEPTH = 32;

export async function readJsonBody(ctx: ParameterizedContext, limit = MAX_BODY_BYTES): Promise<unknown> {
  const length = ctx.request.length;
  const hasBody = (length !== undefined && length > 0) || ctx.get("Transfer-Encoding") !== "";
  if (!hasBody) throw new BadRequestError("A JSON request body is required.");
  if (!ctx.is("application/json")) throw new UnsupportedMediaTypeError("Send the body as application/json.");
  if (length !== undefined && length > limit) throw new PayloadTooLargeError(`The body exceeds ${limit} bytes.`);

  const chunks = await readLimited(ctx.req, limit);
  const text = Buffer.concat(chunks).toString("utf8");
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (err) {
    throw new BadRequestError(`The body is not valid JSON (${(err as Error).message.slice(0, 120)}).`);
  }
  if (depthExceeds(parsed, MAX_DEPTH)) throw new BadRequestError(`The body nests deeper than ${MAX_DEPTH} levels.`);
  return parsed;
}

/**
 * Collects at most `limit` bytes. Past the limit it stops buffering and discards the rest, so the
 * client still receives the 413 (destroying the socket would show it a reset instead).
 */
function readLimited(req: IncomingMessage, limit: number): Promise<Buffer[]> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const onData = (chunk: Buffer) => {
      size += chunk.length;
      if (size <= limit) return void chunks.push(chunk);
      cleanup();
      req.resume();
      reject(new PayloadTooLargeError(`The body exceeds ${limit} bytes.`));
    };
    const onEnd = () => {
      cleanup();
      resolve(chunks);
    };
    const onError = (err: Error) => {
      cleanup();
      reject(new BadRequestError(`The body could not be read (${err.message}).`));
    };
    const cleanup = () => {
      req.off("data", onData);
      req.off("end", onEnd);
      req.off("error", onError);
    };
    req.on("data", onData);
    req.on("end", onEnd);
    req.on("error", onError);
  });
}

function depthExceeds(value: unknown, max: number): boolean {
  const stack: [unknown, number][] = [[value, 0]];
  while (stack.length > 0) {
    const [v, d] = stack.pop()!;
    if (d > max) return true;
    if (v !== null && typeof v === "object") for (const child of Object.values(v)) stack.push([child, d + 1]);
  }
  return false;
}

export function zodIssuesToFieldErrors(error: z.ZodError, prefix = ""): FieldError[] {
  return error.issues.flatMap((issue) => {
    const path = [prefix, ...issue.path.map(String)].filter(Boolean).join(".");
    if (issue.code === "unrecognized_keys") {
      return issue.keys.map((key) => ({ field: [path, key].filter(Boolean).join("."), message: "unknown field" }));
    }
    return [{ field: path || "(body)", message: issue.message }];
  });
}

export function parseWith<S extends z.ZodType>(schema: S, input: unknown, prefix = ""): z.output<S> {
  const result = schema.safeParse(input);
  if (!result.success) {
    throw new ValidationError(zodIssuesToFieldErrors(result.error, prefix));
  }
  return result.data;
}
