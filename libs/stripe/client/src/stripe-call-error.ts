import Stripe from 'stripe';
import { redactSecrets } from './mask-secret';

export type StripeCallErrorKind = 'auth' | 'rate_limited' | 'conflict' | 'invalid_request' | 'duplicate_event' | 'server' | 'network';

/** How each kind starts its message; `auth error` is what sync ledgers and alerts key on. */
const MESSAGE_PREFIX: Record<StripeCallErrorKind, string> = {
  auth: 'auth error',
  rate_limited: 'rate limited',
  conflict: 'conflict',
  invalid_request: 'invalid request',
  duplicate_event: 'duplicate meter event',
  server: 'stripe server error',
  network: 'network error',
};

const RETRYABLE_BY_DEFAULT: Record<StripeCallErrorKind, boolean> = {
  auth: false,
  rate_limited: true,
  conflict: true,
  invalid_request: false,
  duplicate_event: false,
  server: true,
  network: true,
};

/**
 * Stripe answers a meter event whose identifier it already holds with a 400:
 * v2 (and Stripe's spec) say `duplicate_meter_event`, live v1 responses carry
 * only the message "An event already exists with identifier …".
 */
const DUPLICATE_MESSAGE = /already exists with identifier|duplicate identifier has already been submitted/i;

const NETWORK_ERROR_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'EPIPE',
  'ETIMEDOUT',
  'ENOTFOUND',
  'EAI_AGAIN',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'UND_ERR_SOCKET',
]);

export interface StripeCallErrorDetails {
  kind: StripeCallErrorKind;
  /** Stripe's own message (or the transport's), already free of secrets. */
  detail: string;
  retryable?: boolean;
  statusCode?: number;
  stripeCode?: string;
  stripeType?: string;
  param?: string;
  requestId?: string;
  /** Stripe's advice from the `Stripe-Should-Retry` header, when it sent one. */
  shouldRetry?: boolean;
  /** The `Stripe-Rate-Limited-Reason` header of a 429. */
  rateLimitedReason?: string;
  operation?: string;
}

/**
 * A failed Stripe call, classified once so callers decide on `kind` and
 * `retryable` rather than on status codes and messages. Carries no secret and
 * no reference to the original error (whose request data may hold one).
 */
export class StripeCallError extends Error {
  readonly kind: StripeCallErrorKind;
  readonly retryable: boolean;
  readonly statusCode: number | undefined;
  readonly stripeCode: string | undefined;
  readonly stripeType: string | undefined;
  readonly param: string | undefined;
  readonly requestId: string | undefined;
  readonly shouldRetry: boolean | undefined;
  readonly rateLimitedReason: string | undefined;
  readonly operation: string | undefined;

  constructor(details: StripeCallErrorDetails) {
    const context = [
      details.statusCode === undefined ? undefined : `status ${details.statusCode}`,
      details.stripeCode === undefined ? undefined : `code ${details.stripeCode}`,
      details.requestId === undefined ? undefined : `request ${details.requestId}`,
    ].filter((part): part is string => part !== undefined);
    super(`${MESSAGE_PREFIX[details.kind]}: ${details.detail}${context.length > 0 ? ` [${context.join(', ')}]` : ''}`);
    this.name = 'StripeCallError';
    this.kind = details.kind;
    this.retryable = details.retryable ?? details.shouldRetry ?? RETRYABLE_BY_DEFAULT[details.kind];
    this.statusCode = details.statusCode;
    this.stripeCode = details.stripeCode;
    this.stripeType = details.stripeType;
    this.param = details.param;
    this.requestId = details.requestId;
    this.shouldRetry = details.shouldRetry;
    this.rateLimitedReason = details.rateLimitedReason;
    this.operation = details.operation;
  }

  /** What loggers serialise: the classification, never a request or a key. */
  toJSON(): Record<string, unknown> {
    return {
      name: this.name,
      message: this.message,
      kind: this.kind,
      retryable: this.retryable,
      statusCode: this.statusCode,
      stripeCode: this.stripeCode,
      stripeType: this.stripeType,
      param: this.param,
      requestId: this.requestId,
      shouldRetry: this.shouldRetry,
      rateLimitedReason: this.rateLimitedReason,
      operation: this.operation,
    };
  }
}

function kindForStatus(statusCode: number, isDuplicate: boolean): StripeCallErrorKind {
  if (statusCode === 401 || statusCode === 403) {
    return 'auth';
  }
  if (statusCode === 429) {
    return 'rate_limited';
  }
  if (statusCode === 409) {
    return 'conflict';
  }
  if (statusCode >= 500) {
    return 'server';
  }
  return isDuplicate ? 'duplicate_event' : 'invalid_request';
}

function header(headers: Record<string, string> | undefined, name: string): string | undefined {
  if (headers === undefined) {
    return undefined;
  }
  const entry = Object.entries(headers).find(([key]) => key.toLowerCase() === name);
  return entry?.[1];
}

function errorCode(error: unknown): string | undefined {
  if (typeof error === 'object' && error !== null && 'code' in error) {
    const { code } = error as { code: unknown };
    return typeof code === 'string' ? code : undefined;
  }
  return undefined;
}

export interface StripeErrorContext {
  /** Secrets to scrub from messages even if they do not look like Stripe keys. */
  secrets?: readonly string[];
  /** Names the operation in logs, e.g. `createMeterEvent`. */
  operation?: string;
}

/** Classifies whatever a stripe-node call threw. */
export function toStripeCallError(error: unknown, context: StripeErrorContext = {}): StripeCallError {
  if (error instanceof StripeCallError) {
    return error;
  }
  const secrets = context.secrets ?? [];
  const operation = context.operation === undefined ? {} : { operation: context.operation };
  if (error instanceof Stripe.errors.StripeError) {
    const detail = redactSecrets(error.message || error.type, secrets);
    const requestId = error.requestId === undefined ? {} : { requestId: error.requestId };
    if (error.type === 'StripeConnectionError' || error.statusCode === undefined) {
      // No HTTP status: the request failed in transit, or Stripe's body was unreadable.
      return new StripeCallError({
        kind: error.type === 'StripeConnectionError' ? 'network' : 'server',
        detail,
        ...requestId,
        ...operation,
      });
    }
    const shouldRetryHeader = header(error.headers, 'stripe-should-retry');
    const rateLimitedReason = header(error.headers, 'stripe-rate-limited-reason');
    const isDuplicate =
      error.code === 'duplicate_meter_event' ||
      error.rawType === ('duplicate_meter_event' as typeof error.rawType) ||
      DUPLICATE_MESSAGE.test(error.message);
    const kind = kindForStatus(error.statusCode, isDuplicate);
    const shouldRetry = shouldRetryHeader === 'true' ? true : shouldRetryHeader === 'false' ? false : undefined;
    return new StripeCallError({
      kind,
      detail,
      statusCode: error.statusCode,
      // A duplicate is a final answer ("already delivered") whatever the header says.
      ...(kind === 'duplicate_event' ? { retryable: false } : {}),
      ...(error.code === undefined ? {} : { stripeCode: error.code }),
      ...(error.rawType === undefined ? {} : { stripeType: error.rawType }),
      ...(error.param === undefined ? {} : { param: error.param }),
      ...(shouldRetry === undefined ? {} : { shouldRetry }),
      ...(rateLimitedReason === undefined ? {} : { rateLimitedReason }),
      ...requestId,
      ...operation,
    });
  }
  const message = error instanceof Error ? error.message : String(error);
  const code = errorCode(error);
  if (code !== undefined && NETWORK_ERROR_CODES.has(code)) {
    return new StripeCallError({ kind: 'network', detail: redactSecrets(message, secrets), ...operation });
  }
  // Not from Stripe nor the network: a bug on our side, so retrying will not help.
  return new StripeCallError({
    kind: 'server',
    detail: `unexpected error: ${redactSecrets(message, secrets)}`,
    retryable: false,
    ...operation,
  });
}
