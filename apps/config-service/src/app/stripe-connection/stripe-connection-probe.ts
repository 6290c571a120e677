import { StripeAccountClient, StripeCallError, toStripeCallError } from '@flexsync/stripe-client';

export interface StripeEndpoint {
  /** e.g. `http://127.0.0.1:12180` for the emulator; undefined means api.stripe.com. */
  baseUrl?: string;
  timeoutMs: number;
}

export type ConnectionProbeResult =
  | { result: 'connected'; livemode: boolean }
  | { result: 'auth_error'; message: string }
  | { result: 'unreachable'; message: string };

/** One retry absorbs a blip without making a broken Stripe look slow to the admin waiting on the answer. */
const MAX_NETWORK_RETRIES = 1;

/**
 * Checks that a Stripe API key works by reading the account balance (`GET /v1/balance`). Stripe's answers are
 * classified by `@flexsync/stripe-client`, which scrubs secrets from them (some Stripe-like servers echo the key).
 */
export class StripeConnectionProbe {
  constructor(private readonly endpoint: StripeEndpoint) {}

  async check(apiKey: string): Promise<ConnectionProbeResult> {
    const client = new StripeAccountClient({
      apiKey,
      baseUrl: this.endpoint.baseUrl,
      timeoutMs: this.endpoint.timeoutMs,
      maxNetworkRetries: MAX_NETWORK_RETRIES,
    });
    try {
      const balance = await client.retrieveBalance();
      return { result: 'connected', livemode: balance.livemode };
    } catch (error) {
      return this.classify(toStripeCallError(error, { secrets: [apiKey], operation: 'retrieveBalance' }));
    }
  }

  private classify(error: StripeCallError): ConnectionProbeResult {
    switch (error.kind) {
      case 'auth':
        return {
          result: 'auth_error',
          message:
            error.statusCode === 403
              ? 'Stripe refused the API key: it is not permitted to read the balance (a restricted key needs balance read access)'
              : 'Stripe rejected the API key: it is invalid, expired or revoked',
        };
      case 'network':
        return { result: 'unreachable', message: `Stripe could not be reached: ${error.message}` };
      case 'server':
      case 'rate_limited':
      case 'conflict':
      case 'invalid_request':
      case 'duplicate_event':
        return { result: 'unreachable', message: `Stripe did not answer the balance check: ${error.message}` };
    }
  }
}
