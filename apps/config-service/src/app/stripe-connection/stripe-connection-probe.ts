import { StripeAccountClient, StripeCallError, toStripeCallError } from '@flexsync/stripe-client';

export interface StripeEndpoint {
  /** e.g. `http://127.0.0.1:12180` for the emulator; undefined means api.stripe.com. */
  baseUrl?: string;
  timeoutMs: number;
}

export type ConnectionProbeResult =
  | { result: 'connected'; livemode: boolean; accountId: string }
  | { result: 'auth_error'; message: string }
  | { result: 'unreachable'; message: string };

/** One retry absorbs a blip without making a broken Stripe look slow to the admin waiting on the answer. */
const MAX_NETWORK_RETRIES = 1;

/**
 * Checks that a Stripe API key works by reading the account balance (`GET /v1/balance`: the mode) and the account
 * (`GET /v1/account`: its id, which webhooks must name). Stripe's answers are classified by `@flexsync/stripe-client`,
 * which scrubs secrets from them (some Stripe-like servers echo the key).
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
    let livemode: boolean;
    try {
      livemode = (await client.retrieveBalance()).livemode;
    } catch (error) {
      return this.classify(toStripeCallError(error, { secrets: [apiKey], operation: 'retrieveBalance' }), 'balance');
    }
    try {
      const account = await client.retrieveAccount();
      return { result: 'connected', livemode, accountId: account.id };
    } catch (error) {
      return this.classify(toStripeCallError(error, { secrets: [apiKey], operation: 'retrieveAccount' }), 'account');
    }
  }

  private classify(error: StripeCallError, what: 'balance' | 'account'): ConnectionProbeResult {
    switch (error.kind) {
      case 'auth':
        return {
          result: 'auth_error',
          message:
            error.statusCode === 403
              ? `Stripe refused the API key: it is not permitted to read the ${what} (a restricted key needs ${what} read access)`
              : 'Stripe rejected the API key: it is invalid, expired or revoked',
        };
      case 'network':
        return { result: 'unreachable', message: `Stripe could not be reached: ${error.message}` };
      case 'server':
      case 'rate_limited':
      case 'conflict':
      case 'invalid_request':
      case 'duplicate_event':
        return { result: 'unreachable', message: `Stripe did not answer the ${what} check: ${error.message}` };
    }
  }
}
