/**
 * Error codes are `AREA.REASON`; one table maps each to an HTTP status so controllers never pick statuses ad hoc.
 */
export const ERROR_STATUS = {
  'REQUEST.INVALID': 400,
  'REQUEST.MALFORMED_JSON': 400,
  'REQUEST.BODY_TOO_LARGE': 400,
  'AUTH.MISSING_TOKEN': 401,
  'AUTH.INVALID_TOKEN': 401,
  'AUTH.FORBIDDEN': 403,
  'AUTH.ENVIRONMENT_NOT_ALLOWED': 403,
  'AUTH.TENANT_NOT_ALLOWED': 403,
  'AUTH.KEYS_UNAVAILABLE': 503,
  'CONFIG.NOT_FOUND': 404,
  'STRIPE.AUTH_FAILED': 401,
  'STRIPE.UNAVAILABLE': 502,
  'MAPPING.NOT_FOUND': 404,
  'MAPPING.DUPLICATE': 409,
  'WEBHOOK.UNKNOWN_ENDPOINT': 404,
  'WEBHOOK.INVALID_SIGNATURE': 400,
  'WEBHOOK.UNAVAILABLE': 503,
  'WEBHOOK.RATE_LIMITED': 429,
  'SYNC.NOT_FOUND': 404,
  'SYNC.INVALID_WINDOW': 400,
  'SYNC.UNAVAILABLE': 503,
  'SYNC.NOT_RETRYABLE': 409,
  'SYNC.OUTCOME_UNKNOWN': 409,
  'SYNC.TOO_MANY_RUNNING': 429,
  'SYNC.NOT_RUNNING': 409,
  'ROUTE.NOT_FOUND': 404,
  INTERNAL: 500,
  'CONFIG.SECRET_UNREADABLE': 500,
} as const;

export type ErrorCode = keyof typeof ERROR_STATUS;

export interface FieldProblem {
  field: string;
  reason: string;
}

/** A failure the caller can act on. `details` must never carry secret values. */
export class DomainError extends Error {
  /** Sent as `Retry-After` (429/503): when the caller may try again. */
  readonly retryAfterSeconds?: number;

  constructor(
    readonly code: ErrorCode,
    message: string,
    readonly details?: Record<string, unknown> | FieldProblem[],
    options?: { cause?: unknown; retryAfterSeconds?: number },
  ) {
    super(message, options);
    this.name = 'DomainError';
    this.retryAfterSeconds = options?.retryAfterSeconds;
  }

  get status(): number {
    return ERROR_STATUS[this.code];
  }
}
