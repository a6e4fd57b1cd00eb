/** Errors thrown by the client. Every API error carries the envelope's fields and the HTTP status. */

/** The body of every Admin API error: `{"error": {code, message, details, request_id}}`. */
export interface ErrorEnvelope {
  error: { code: string; message: string; details?: Record<string, unknown> | null; request_id?: string };
}

/** Base class of everything this SDK throws. */
export class SumeruError extends Error {
  constructor(message: string) {
    super(message);
    this.name = new.target.name;
  }
}

/** An error answer of the API (4xx/5xx with the error envelope). */
export class APIError extends SumeruError {
  /** HTTP status. */
  readonly status: number;
  /** Stable snake_case code (`not_found`, `validation_failed`, …). */
  readonly code: string;
  /** Extra machine-readable context (`details.field`, `details.required_scope`, …). */
  readonly details: Record<string, unknown>;
  /** The request id (`X-Request-Id`), to quote to support. */
  readonly request_id: string | undefined;
  /** Response headers. */
  readonly headers: Headers;

  constructor(status: number, body: unknown, headers: Headers) {
    const env = (body as Partial<ErrorEnvelope> | undefined)?.error;
    const code = typeof env?.code === 'string' ? env.code : `http_${status}`;
    const message = typeof env?.message === 'string' ? env.message : `HTTP ${status}`;
    super(message);
    this.status = status;
    this.code = code;
    this.details = (env?.details as Record<string, unknown> | null | undefined) ?? {};
    this.request_id = env?.request_id ?? headers.get('x-request-id') ?? undefined;
    this.headers = headers;
  }

  /** camelCase alias of `request_id`. */
  get requestId(): string | undefined {
    return this.request_id;
  }
}

/** 400 / 422: a parameter or body field is invalid (`details.field` names it). */
export class ValidationError extends APIError {}
/** 401: missing, malformed, unknown, revoked or expired key. */
export class AuthenticationError extends APIError {}
/** 403: the key lacks the scope (`details.required_scope`). */
export class PermissionError extends APIError {}
/** 404: no such resource (or another shop's). */
export class NotFoundError extends APIError {}
/** 409: conflict (duplicate, `invalid_state`, idempotency key reused or in use). */
export class ConflictError extends APIError {}
/** 429: rate limited; `retryAfter` is the server's `Retry-After` in seconds. */
export class RateLimitError extends APIError {
  get retryAfter(): number | undefined {
    return parseRetryAfter(this.headers.get('retry-after'));
  }
}
/** 5xx after the retries were spent. */
export class InternalServerError extends APIError {}

/** The request never got an answer (connection refused, DNS, reset). */
export class APIConnectionError extends SumeruError {
  readonly cause: unknown;
  constructor(message: string, cause?: unknown) {
    super(message);
    this.cause = cause;
  }
}
/** No answer within the timeout. */
export class APITimeoutError extends APIConnectionError {}

/** The typed error of an error answer. */
export function errorFor(status: number, body: unknown, headers: Headers): APIError {
  const cls =
    status === 400 || status === 422
      ? ValidationError
      : status === 401
        ? AuthenticationError
        : status === 403
          ? PermissionError
          : status === 404
            ? NotFoundError
            : status === 409
              ? ConflictError
              : status === 429
                ? RateLimitError
                : status >= 500
                  ? InternalServerError
                  : APIError;
  return new cls(status, body, headers);
}

/** `Retry-After` as seconds (delta-seconds or an HTTP date); undefined when absent or unreadable. */
export function parseRetryAfter(value: string | null): number | undefined {
  if (value == null || value.trim() === '') return undefined;
  const n = Number(value);
  if (Number.isFinite(n)) return Math.max(0, n);
  const at = Date.parse(value);
  return Number.isNaN(at) ? undefined : Math.max(0, (at - Date.now()) / 1000);
}
