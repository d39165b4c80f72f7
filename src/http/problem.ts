/** RFC 9457 problem documents: the one place where errors become HTTP responses. */
import { AppError, ValidationError, type FieldError } from "../errors.js";

export const PROBLEM_CONTENT_TYPE = "application/problem+json";

export interface Problem {
  type: string;
  title: string;
  status: number;
  detail: string;
  errors?: FieldError[];
  request_id?: string;
}

export const problemType = (slug: string): string => `urn:argus-bridge:problem:${slug}`;

const TITLES: Record<number, [slug: string, title: string]> = {
  400: ["bad-request", "Bad request"],
  401: ["unauthorized", "Unauthorized"],
  403: ["forbidden", "Forbidden"],
  404: ["not-found", "Not found"],
  405: ["method-not-allowed", "Method not allowed"],
  406: ["not-acceptable", "Not acceptable"],
  409: ["conflict", "Conflict"],
  413: ["payload-too-large", "Payload too large"],
  415: ["unsupported-media-type", "Unsupported media type"],
  422: ["validation-error", "Validation failed"],
  429: ["too-many-requests", "Too many requests"],
  501: ["not-implemented", "Not implemented"],
  503: ["service-unavailable", "Service unavailable"],
};

/** The 404 of an unknown route. Fixed text so a disabled route is indistinguishable from none. */
export const NOT_FOUND_PROBLEM: Problem = Object.freeze({
  type: problemType("not-found"),
  title: "Not found",
  status: 404,
  detail: "No resource matches this request.",
});

export function problemFromAppError(err: AppError): Problem {
  const p: Problem = { type: problemType(err.type), title: err.title, status: err.status, detail: err.detail };
  if (err instanceof ValidationError) p.errors = err.errors;
  return p;
}

/** Errors from Koa itself or its libraries carry an HTTP status; only 4xx messages are shown. */
export function problemFromStatus(status: number, exposedMessage: string | undefined): Problem {
  const [slug, title] = TITLES[status] ?? ["error", status >= 500 ? "Internal server error" : "Request failed"];
  return { type: problemType(slug), title, status, detail: exposedMessage ?? title };
}

export function internalProblem(requestId: string): Problem {
  return {
    type: problemType("internal-error"),
    title: "Internal server error",
    status: 500,
    detail: "An unexpected error occurred. Quote the request id when reporting it.",
    request_id: requestId,
  };
}
