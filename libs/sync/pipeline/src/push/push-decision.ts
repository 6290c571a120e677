import { StripeCallError } from '@flexsync/stripe-client';

/** What to do after a meter event call failed. */
export type PushDecision =
  /** Stripe already holds this identifier: our payload for an identifier never changes, so it was delivered. */
  | { action: 'delivered' }
  /** 401/403: the tenant's key is refused; the push fails and the tenant's circuit opens. */
  | { action: 'auth_failed'; message: string }
  /** 409/429/5xx/network, or whatever Stripe marks `Stripe-Should-Retry: true`: try again after a backoff. */
  | { action: 'retry'; message: string }
  /** Anything else (e.g. a 400, or `Stripe-Should-Retry: false`): retrying cannot help. */
  | { action: 'fail'; message: string };

export function decidePush(error: unknown): PushDecision {
  if (!(error instanceof StripeCallError)) {
    return { action: 'fail', message: `unexpected error: ${error instanceof Error ? error.message : String(error)}` };
  }
  switch (error.kind) {
    case 'duplicate_event':
      return { action: 'delivered' };
    case 'auth':
      return { action: 'auth_failed', message: error.message };
    case 'rate_limited':
    case 'conflict':
    case 'server':
    case 'network':
    case 'invalid_request':
      // `retryable` already folds in Stripe-Should-Retry, which overrides the kind's default either way.
      return error.retryable ? { action: 'retry', message: error.message } : { action: 'fail', message: error.message };
  }
}
