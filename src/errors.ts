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

export class ValidationError extends AppError {
  readonly status = 422;
  readonly type = "validation-error";
  readonly title = "Validation failed";
  constructor(readonly errors: FieldError[], detail?: string) {
    super(detail ?? errors.map((e) => `${e.field}: ${e.message}`).join("; "));
  }
}

export class BadRequestError extends AppError {
  readonly status = 400;
  readonly type = "bad-request";
  readonly title = "Bad request";
}

export class UnsupportedMediaTypeError extends AppError {
  readonly status = 415;
  readonly type = "unsupported-media-type";
  readonly title = "Unsupported media type";
}

export class PayloadTooLargeError extends AppError {
  readonly status = 413;
  readonly type = "payload-too-large";
  readonly title = "Payload too large";
  // The rest of the body is discarded; closing the connection stops the client sending more.
  override readonly headers = { Connection: "close" };
}

export class UnauthorizedError extends AppError {
  readonly status = 401;
  readonly type = "unauthorized";
  readonly title = "Unauthorized";
  override readonly headers = { "WWW-Authenticate": 'Bearer realm="argus-bridge"' };
}

export class ForbiddenError extends AppError {
  readonly status = 403;
  readonly type = "forbidden";
  readonly title = "Forbidden";
}

export class NotFoundError extends AppError {
  readonly status = 404;
  readonly type = "not-found";
  readonly title = "Not found";
}

export class ConflictError extends AppError {
  readonly status = 409;
  readonly type = "conflict";
  readonly title = "Conflict";
}

export class ServiceUnavailableError extends AppError {
  readonly status = 503;
  readonly type = "service-unavailable";
  readonly title = "Service unavailable";
}
