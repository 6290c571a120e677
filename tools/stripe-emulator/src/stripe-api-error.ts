/**
 * Stripe-shaped errors. Bodies follow https://docs.stripe.com/api/errors:
 * `{ error: { type, code?, message, param?, doc_url? } }`.
 */
export interface StripeErrorBody {
  type: string;
  message: string;
  code?: string;
  param?: string;
  doc_url?: string;
}

export interface StripeApiErrorOptions {
  headers?: Record<string, string>;
  /**
   * Stripe saves the result of an idempotent request only once the endpoint
   * started executing; validation failures are not saved, so a corrected
   * retry with the same key can still succeed.
   */
  saveForIdempotency?: boolean;
}

export class StripeApiError extends Error {
  readonly headers: Record<string, string>;
  readonly saveForIdempotency: boolean;

  constructor(
    readonly statusCode: number,
    readonly body: StripeErrorBody,
    options: StripeApiErrorOptions = {},
  ) {
    super(body.message);
    this.name = 'StripeApiError';
    this.headers = options.headers ?? {};
    this.saveForIdempotency = options.saveForIdempotency ?? false;
  }
}

function docUrl(code: string): string {
  return `https://stripe.com/docs/error-codes/${code.replace(/_/g, '-')}`;
}

function invalidRequest(message: string, extra: Partial<StripeErrorBody> = {}): StripeErrorBody {
  const body: StripeErrorBody = { type: 'invalid_request_error', message, ...extra };
  if (body.code !== undefined && body.doc_url === undefined) {
    body.doc_url = docUrl(body.code);
  }
  return body;
}

/** Shows the first prefix parts and the last four characters, as Stripe does in its own messages. */
export function maskKeyForMessage(key: string): string {
  const match = /^((?:sk|rk|pk)_(?:test|live)_)(.*)$/.exec(key);
  const prefix = match?.[1] ?? '';
  const secret = match?.[2] ?? key;
  const visible = secret.length > 8 ? secret.slice(-4) : '';
  return `${prefix}${'*'.repeat(Math.max(secret.length - visible.length, 4))}${visible}`;
}

export const stripeErrors = {
  missingApiKey(): StripeApiError {
    return new StripeApiError(
      401,
      invalidRequest(
        "You did not provide an API key. You need to provide your API key in the Authorization header, using Bearer auth (e.g. 'Authorization: Bearer YOUR_SECRET_KEY').",
      ),
    );
  },

  invalidApiKey(key: string): StripeApiError {
    return new StripeApiError(401, invalidRequest(`Invalid API Key provided: ${maskKeyForMessage(key)}`));
  },

  permissionDenied(): StripeApiError {
    return new StripeApiError(
      403,
      invalidRequest('The provided key does not have the required permissions for this endpoint.'),
    );
  },

  unrecognizedUrl(method: string, path: string): StripeApiError {
    return new StripeApiError(
      404,
      invalidRequest(
        `Unrecognized request URL (${method}: ${path}). Please see https://stripe.com/docs or we can help at https://support.stripe.com/.`,
      ),
    );
  },

  resourceMissing(what: string, id: string, param = 'id'): StripeApiError {
    return new StripeApiError(404, invalidRequest(`No such ${what}: '${id}'`, { code: 'resource_missing', param }));
  },

  parameterUnknown(param: string): StripeApiError {
    return new StripeApiError(
      400,
      invalidRequest(`Received unknown parameter: ${param}`, { code: 'parameter_unknown', param }),
    );
  },

  parameterMissing(param: string): StripeApiError {
    return new StripeApiError(
      400,
      invalidRequest(`Missing required param: ${param}.`, { code: 'parameter_missing', param }),
    );
  },

  parameterEmpty(param: string): StripeApiError {
    return new StripeApiError(
      400,
      invalidRequest(
        `You passed an empty string for '${param}'. We assume empty values are an attempt to unset a parameter; however '${param}' cannot be unset. You should remove '${param}' from your request or supply a non-empty value.`,
        { code: 'parameter_invalid_empty', param },
      ),
    );
  },

  invalidInteger(param: string, value: string): StripeApiError {
    return new StripeApiError(
      400,
      invalidRequest(`Invalid integer: ${value}`, { code: 'parameter_invalid_integer', param }),
    );
  },

  invalidBoolean(param: string, value: string): StripeApiError {
    return new StripeApiError(400, invalidRequest(`Invalid boolean: ${value}`, { param }));
  },

  invalidEnum(param: string, value: string, allowed: readonly string[]): StripeApiError {
    return new StripeApiError(
      400,
      invalidRequest(`Invalid ${param}: must be one of ${allowed.join(', ')} (got '${value}')`, { param }),
    );
  },

  invalidStringLength(param: string, max: number): StripeApiError {
    return new StripeApiError(400, invalidRequest(`Invalid ${param}: must be at most ${max} characters`, { param }));
  },

  invalidType(param: string, expected: string): StripeApiError {
    return new StripeApiError(400, invalidRequest(`Invalid ${param}: expected ${expected}`, { param }));
  },

  invalidRequest(message: string, param?: string): StripeApiError {
    return new StripeApiError(400, invalidRequest(message, param === undefined ? {} : { param }));
  },

  /**
   * Stripe's answer to a meter event whose identifier it has already seen.
   * Observed live responses carry this message with no `code`; clients should
   * match on the message (and on `duplicate_meter_event` for v2).
   */
  duplicateMeterEvent(identifier: string): StripeApiError {
    return new StripeApiError(400, invalidRequest(`An event already exists with identifier ${identifier}.`), {
      saveForIdempotency: true,
      headers: { 'Stripe-Should-Retry': 'false' },
    });
  },

  idempotencyKeyTooLong(): StripeApiError {
    return new StripeApiError(400, {
      type: 'idempotency_error',
      message: 'Idempotency keys can be no longer than 255 characters.',
    });
  },

  idempotencyMismatch(key: string): StripeApiError {
    return new StripeApiError(
      400,
      {
        type: 'idempotency_error',
        message: `Keys for idempotent requests can only be used with the same parameters they were first used with. Try using a key other than '${key}' if you meant to execute a different request.`,
      },
      { headers: { 'Stripe-Should-Retry': 'false' } },
    );
  },

  idempotencyInFlight(key: string): StripeApiError {
    return new StripeApiError(
      409,
      {
        type: 'idempotency_error',
        message: `There is currently another in-progress request using this Idempotent Key (that probably means you submitted twice, and the other request is still going through): ${key}. Please try again later.`,
      },
      { headers: { 'Stripe-Should-Retry': 'true' } },
    );
  },

  customerMeterBusy(): StripeApiError {
    return new StripeApiError(
      409,
      invalidRequest(
        'Another meter event for this customer and meter is currently being processed. Stripe allows one concurrent call per customer and meter; retry the request.',
      ),
      { headers: { 'Stripe-Should-Retry': 'true' } },
    );
  },

  rateLimited(): StripeApiError {
    return new StripeApiError(
      429,
      invalidRequest(
        'Request rate limit exceeded. You can learn more about rate limits here https://stripe.com/docs/rate-limits.',
        { code: 'rate_limit' },
      ),
      { headers: { 'Stripe-Rate-Limited-Reason': 'endpoint-rate' } },
    );
  },

  apiError(statusCode: number): StripeApiError {
    const message =
      statusCode === 503
        ? 'Stripe is temporarily unavailable. Please try again later.'
        : 'An unknown error occurred while processing your request.';
    return new StripeApiError(statusCode, { type: 'api_error', message });
  },

  sessionExpired(): StripeApiError {
    return new StripeApiError(401, {
      type: 'temporary_session_expired',
      code: 'billing_meter_event_session_expired',
      message: 'The temporary session token has expired.',
    });
  },

  invalidSessionToken(): StripeApiError {
    return new StripeApiError(401, invalidRequest('Invalid meter event session token provided.'));
  },

  bodyTooLarge(limitBytes: number): StripeApiError {
    return new StripeApiError(413, invalidRequest(`Request body is larger than ${limitBytes} bytes.`));
  },
};
