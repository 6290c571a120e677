import Stripe from 'stripe';
import { scrubSecrets } from '../stripe-config/stripe-secrets';

export interface StripeEndpoint {
  /** e.g. `http://127.0.0.1:12180`; undefined means api.stripe.com. */
  baseUrl?: string;
  timeoutMs: number;
}

export type ConnectionProbeResult =
  | { result: 'connected'; livemode: boolean }
  | { result: 'auth_error'; message: string }
  | { result: 'unreachable'; message: string };

/** stripe-node options for a base URL, so tests and the demo can point at stripe-mock or the emulator. */
export function stripeClientOptions(endpoint: StripeEndpoint): Stripe.StripeConfig {
  const options: Stripe.StripeConfig = { timeout: endpoint.timeoutMs, maxNetworkRetries: 1, telemetry: false };
  if (endpoint.baseUrl) {
    const url = new URL(endpoint.baseUrl);
    const protocol = url.protocol === 'http:' ? 'http' : 'https';
    options.host = url.hostname;
    options.port = url.port ? Number(url.port) : protocol === 'http' ? 80 : 443;
    options.protocol = protocol;
  }
  return options;
}

function describe(error: unknown): string {
  return scrubSecrets(error instanceof Error ? error.message : String(error));
}

/**
 * Checks that a Stripe API key works by reading the account balance (`GET /v1/balance`). Stripe's own answers are
 * classified and never passed on raw: some echo the Authorization header, i.e. the key.
 */
export class StripeConnectionProbe {
  constructor(private readonly endpoint: StripeEndpoint) {}

  async check(apiKey: string): Promise<ConnectionProbeResult> {
    const stripe = new Stripe(apiKey, stripeClientOptions(this.endpoint));
    try {
      const balance = await stripe.balance.retrieve();
      return { result: 'connected', livemode: balance.livemode };
    } catch (error) {
      return this.classify(error);
    }
  }

  private classify(error: unknown): ConnectionProbeResult {
    if (error instanceof Stripe.errors.StripeAuthenticationError) {
      return { result: 'auth_error', message: 'Stripe rejected the API key (invalid, expired or revoked)' };
    }
    if (error instanceof Stripe.errors.StripePermissionError) {
      return { result: 'auth_error', message: 'the API key is not permitted to read the balance (restricted key without balance read access)' };
    }
    if (error instanceof Stripe.errors.StripeConnectionError) {
      return { result: 'unreachable', message: `Stripe could not be reached: ${describe(error)}` };
    }
    if (error instanceof Stripe.errors.StripeError) {
      const status = error.statusCode ?? 'no status';
      return { result: 'unreachable', message: `Stripe answered ${status} (${error.type}): ${describe(error)}` };
    }
    return { result: 'unreachable', message: `Stripe call failed: ${describe(error)}` };
  }
}
