import Stripe from 'stripe';
import { StripeCallError, toStripeCallError } from './stripe-call-error';

const API_KEY = ['sk', 'test', '51SecretKeyThatMustNeverLeak9876'].join('_');

function stripeError(raw: Record<string, unknown>): Stripe.errors.StripeError {
  // The same factory stripe-node uses on a real response: the class follows the status code.
  return Stripe.errors.StripeError.generate(raw);
}

describe('toStripeCallError', () => {
  it.each([
    { status: 401, kind: 'auth', retryable: false, prefix: 'auth error' },
    { status: 403, kind: 'auth', retryable: false, prefix: 'auth error' },
    { status: 409, kind: 'conflict', retryable: true, prefix: 'conflict' },
    { status: 429, kind: 'rate_limited', retryable: true, prefix: 'rate limited' },
    { status: 400, kind: 'invalid_request', retryable: false, prefix: 'invalid request' },
    { status: 404, kind: 'invalid_request', retryable: false, prefix: 'invalid request' },
    { status: 500, kind: 'server', retryable: true, prefix: 'stripe server error' },
    { status: 503, kind: 'server', retryable: true, prefix: 'stripe server error' },
  ])('classifies HTTP $status as $kind (retryable: $retryable)', ({ status, kind, retryable, prefix }) => {
    const error = toStripeCallError(
      stripeError({ statusCode: status, message: 'something happened', type: 'invalid_request_error', requestId: 'req_abc' }),
    );

    expect(error).toBeInstanceOf(StripeCallError);
    expect(error).toMatchObject({ kind, retryable, statusCode: status, requestId: 'req_abc' });
    expect(error.message).toBe(`${prefix}: something happened [status ${status}, request req_abc]`);
  });

  it("classifies Stripe's duplicate identifier answer as duplicate_event, never retryable", () => {
    const error = toStripeCallError(
      stripeError({
        statusCode: 400,
        type: 'invalid_request_error',
        message: 'An event already exists with identifier flexprice_abc.',
        headers: { 'stripe-should-retry': 'true' },
      }),
    );

    expect(error).toMatchObject({ kind: 'duplicate_event', retryable: false, statusCode: 400 });
  });

  it('classifies the duplicate_meter_event code as duplicate_event', () => {
    const error = toStripeCallError(
      stripeError({ statusCode: 400, code: 'duplicate_meter_event', message: 'A meter event with a duplicate identifier.' }),
    );

    expect(error.kind).toBe('duplicate_event');
    expect(error.stripeCode).toBe('duplicate_meter_event');
  });

  it('lets Stripe-Should-Retry override the default retry decision', () => {
    const noRetry = toStripeCallError(stripeError({ statusCode: 500, headers: { 'stripe-should-retry': 'false' } }));
    const retry = toStripeCallError(stripeError({ statusCode: 400, headers: { 'Stripe-Should-Retry': 'true' } }));

    expect(noRetry).toMatchObject({ kind: 'server', retryable: false, shouldRetry: false });
    expect(retry).toMatchObject({ kind: 'invalid_request', retryable: true, shouldRetry: true });
  });

  it('keeps the code, type, param and rate-limit reason Stripe sent', () => {
    const error = toStripeCallError(
      stripeError({
        statusCode: 429,
        type: 'invalid_request_error',
        code: 'rate_limit',
        param: 'payload[value]',
        headers: { 'stripe-rate-limited-reason': 'endpoint-rate' },
      }),
      { operation: 'createMeterEvent' },
    );

    expect(error).toMatchObject({
      kind: 'rate_limited',
      stripeCode: 'rate_limit',
      stripeType: 'invalid_request_error',
      param: 'payload[value]',
      rateLimitedReason: 'endpoint-rate',
      operation: 'createMeterEvent',
      shouldRetry: undefined,
    });
  });

  it('classifies a connection failure as a retryable network error', () => {
    const error = toStripeCallError(
      new Stripe.errors.StripeConnectionError({ message: 'An error occurred with our connection to Stripe.' }),
    );

    expect(error).toMatchObject({ kind: 'network', retryable: true, statusCode: undefined });
    expect(error.message).toMatch(/^network error: /);
  });

  it('classifies a raw socket error as a network error', () => {
    const socketError = Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:1'), { code: 'ECONNREFUSED' });

    expect(toStripeCallError(socketError)).toMatchObject({ kind: 'network', retryable: true });
  });

  it('treats an error from neither Stripe nor the network as a non-retryable bug', () => {
    expect(toStripeCallError(new TypeError('x is not a function'))).toMatchObject({ kind: 'server', retryable: false });
  });

  it('never puts the API key in the message or the serialised error', () => {
    const error = toStripeCallError(stripeError({ statusCode: 401, message: `Invalid API Key provided: ${API_KEY}` }), {
      secrets: [API_KEY],
    });

    expect(error.message).not.toContain(API_KEY);
    expect(error.message).toContain('sk_test_…9876');
    expect(JSON.stringify(error)).not.toContain(API_KEY);
    expect(String(error.stack)).not.toContain(API_KEY);
  });

  it('masks a key that does not look like a Stripe key when it is named as a secret', () => {
    const error = toStripeCallError(new Error('boom with opaque-credential-123456'), { secrets: ['opaque-credential-123456'] });

    expect(error.message).not.toContain('opaque-credential-123456');
  });

  it('returns a StripeCallError unchanged', () => {
    const original = new StripeCallError({ kind: 'auth', detail: 'nope' });

    expect(toStripeCallError(original)).toBe(original);
  });
});
