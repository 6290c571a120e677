import { StripeCallError, StripeCallErrorKind } from '@flexsync/stripe-client';
import { decidePush } from './push-decision';

const error = (kind: StripeCallErrorKind, extra: { statusCode?: number; shouldRetry?: boolean } = {}) =>
  new StripeCallError({ kind, detail: `${kind} happened`, ...extra });

describe('push error classification', () => {
  it('treats Stripe holding the identifier as delivered, never as a retry', () => {
    expect(decidePush(error('duplicate_event', { statusCode: 400 }))).toEqual({ action: 'delivered' });
  });

  it('fails 401/403 as auth errors (the message starts with "auth error")', () => {
    for (const statusCode of [401, 403]) {
      const decision = decidePush(error('auth', { statusCode }));
      expect(decision).toEqual({ action: 'auth_failed', message: expect.stringMatching(/^auth error: /) });
    }
  });

  it('retries 409, 429, 5xx and network errors', () => {
    for (const kind of ['conflict', 'rate_limited', 'server', 'network'] as const) {
      expect(decidePush(error(kind)).action).toBe('retry');
    }
  });

  it('follows Stripe-Should-Retry either way', () => {
    expect(decidePush(error('server', { statusCode: 503, shouldRetry: false }))).toEqual({
      action: 'fail',
      message: expect.stringMatching(/^stripe server error/),
    });
    expect(decidePush(error('invalid_request', { statusCode: 400, shouldRetry: true })).action).toBe('retry');
  });

  it('fails invalid requests and unexpected errors without retrying', () => {
    expect(decidePush(error('invalid_request', { statusCode: 400 })).action).toBe('fail');
    expect(decidePush(new TypeError('boom'))).toEqual({ action: 'fail', message: 'unexpected error: boom' });
  });
});
