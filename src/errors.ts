/**
 * Typed errors. Domain and HTTP code throw these; the HTTP edge maps them once to RFC 9457
 * problem+json (src/http/middleware/problem.ts). Messages here are safe to show to a client.
 */
export interface FieldError {
  /** Dotted path of the offending field, e.g. `broker_port` or `objects_detected.2`. */
  field: string;
  message: string;
}

export abstract class AppError extends Error {
  abstract readonly status: number;
  abstract readonly type: string;
  abstract readonly title: string;
  readonly headers: Record<string, string> = {};
  constructor(readonly detail: string) {
    super(detail);
    this.name = new.target.name;
  }
}

/** One HTTP error kind: its status, problem type slug and title, plus response headers. */
function errorKind(status: number, type: string, title: string, headers: Record<string, string> = {}) {
  return class extends AppError {
    readonly status = status;
    readonly type = type;
    readonly title = title;
    override readonly headers = headers;
  };
}

export class BadRequestError extends errorKind(400, "bad-request", "Bad request") {}
export class UnauthorizedError extends errorKind(401, "unauthorized", "Unauthorized", { "WWW-Authenticate": 'Bearer realm="argus-bridge"' }) {}
export class ForbiddenError extends errorKind(403, "forbidden", "Forbidden") {}
export class NotFoundError extends errorKind(404, "not-found", "Not found") {}
export class ConflictError extends errorKind(409, "conflict", "Conflict") {}
// The rest of an oversized body is discarded; closing the connection stops the client sending more.
export class PayloadTooLargeError extends errorKind(413, "payload-too-large", "Payload too large", { Connection: "close" }) {}
export class UnsupportedMediaTypeError extends errorKind(415, "unsupported-media-type", "Unsupported media type") {}
export class ServiceUnavailableError extends errorKind(503, "service-unavailable", "Service unavailable") {}

export class ValidationError extends errorKind(422, "validation-error", "Validation failed") {
  constructor(
    readonly errors: FieldError[],
    detail?: string,
  ) {
    super(detail ?? errors.map((e) => `${e.field}: ${e.message}`).join("; "));
  }
}
