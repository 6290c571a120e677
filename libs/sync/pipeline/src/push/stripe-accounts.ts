import type { DataSource } from 'typeorm';
import { SecretBox, SecretBoxError } from '@flexsync/crypto';
import { StripeConfigStore, type TenantScope } from '@flexsync/persistence';
import { type RequestRateLimiter, SharedBudgetRateLimiter, StripeAccountClient } from '@flexsync/stripe-client';
import { type BudgetKind, rateBudgetKey, reserveAccountSlots } from './account-rate-budget';

export interface StripeAccountSettings {
  /** Unset: api.stripe.com. */
  baseUrl?: string;
  timeoutMs: number;
  /** Meter event writes per second per live-mode account (Stripe allows 1,000). */
  liveWritesPerSecond: number;
  /** Meter event writes per second per test-mode account (Stripe allows 25). */
  testWritesPerSecond: number;
  /** v2 meter event stream requests (up to 100 events each) per second per account; default 10,000. */
  streamRequestsPerSecond?: number;
  /** How long an opened key (inside its client) is kept for the next page; then it is dropped and re-read. */
  keyTtlMs?: number;
}

export const DEFAULT_STREAM_REQUESTS_PER_SECOND = 10_000;

/** Long enough to push a window's pages with one decryption, short enough that an idle worker holds no keys. */
export const DEFAULT_KEY_TTL_MS = 60_000;

export type StripeAccount =
  | {
      ready: true;
      client: StripeAccountClient;
      /** `POST /v1/billing/meter_events` budget of the Stripe account, shared by every replica and tenant using it. */
      limiter: RequestRateLimiter;
      /** The v2 meter event stream's own budget of the account. */
      streamLimiter: RequestRateLimiter;
      livemode: boolean;
      /** `acct_…`, as the connection test stored it; the budget's key. */
      stripeAccountId: string;
    }
  | { ready: false; reason: string };

interface CachedAccount {
  ciphertext: string;
  client: StripeAccountClient;
  livemode: boolean;
  /** Drops the entry (and with it the only reference to the plaintext key) when the TTL ends, busy or idle. */
  expiry: NodeJS.Timeout;
}

const LIVE_KEY = /^(sk|rk)_live_/;

/**
 * The Stripe account of each tenant+environment: its key is read from `stripe_tenant_configs` ({@link StripeConfigStore})
 * and opened with the keyring only here, bound to its row (a ciphertext copied from another tenant or field does not
 * open); the plaintext lives on inside the account's client for at most `keyTtlMs`, never in a log, error or return value.
 * The rate budget is the Stripe account's (`stripe_tenant_configs.stripe_account_id`, stored by the connection
 * test; an untested config paces alone): one per account and kind of call, in Postgres, shared by every worker
 * replica and every tenant+environment using that account ({@link reserveAccountSlots}); this worker keeps one
 * limiter per budget, which survives key rotation.
 */
export class StripeAccountDirectory {
  private readonly accounts = new Map<string, CachedAccount>();
  private readonly limiters = new Map<string, SharedBudgetRateLimiter>();
  private readonly configs: StripeConfigStore;

  constructor(
    private readonly db: DataSource,
    private readonly secretBox: SecretBox,
    private readonly settings: StripeAccountSettings,
  ) {
    this.configs = new StripeConfigStore(db);
  }

  async account(scope: TenantScope): Promise<StripeAccount> {
    const config = await this.configs.find(scope);
    if (!config) return { ready: false, reason: 'stripe config not found' };
    const scopeKey = `${scope.tenantId}|${scope.environmentId}`;
    const { apiKeyCiphertext: ciphertext, apiKeyKeyId: keyId } = config;
    let cached = this.accounts.get(scopeKey);
    if (!cached || cached.ciphertext !== ciphertext) {
      this.forget(scopeKey);
      let apiKey: string;
      try {
        apiKey = this.secretBox.open({ ciphertext, keyId }, { ...scope, field: 'api_key' });
      } catch (error) {
        // The reason lands in the ledger, which the API lists: no key id, no ciphertext.
        const reason = error instanceof SecretBoxError ? error.reason : 'unreadable';
        return { ready: false, reason: `stripe api key cannot be decrypted for this tenant and environment (${reason})` };
      }
      const expiry = setTimeout(() => this.accounts.delete(scopeKey), this.settings.keyTtlMs ?? DEFAULT_KEY_TTL_MS);
      // A pending expiry must not keep the worker process alive on shutdown.
      expiry.unref();
      cached = {
        expiry,
        ciphertext,
        livemode: LIVE_KEY.test(apiKey),
        client: new StripeAccountClient({
          apiKey,
          ...(this.settings.baseUrl ? { baseUrl: this.settings.baseUrl } : {}),
          timeoutMs: this.settings.timeoutMs,
          // Retries belong to the pusher: it backs off, honours Stripe-Should-Retry and paces them with the limiter.
          maxNetworkRetries: 0,
        }),
      };
      this.accounts.set(scopeKey, cached);
    }
    // A config whose connection was never tested has no account id yet: it paces on a budget of its own until then.
    const stripeAccountId = config.stripeAccountId ?? `untested:${scope.tenantId}|${scope.environmentId}`;
    return {
      ready: true,
      client: cached.client,
      limiter: this.limiter(stripeAccountId, cached.livemode, 'v1'),
      streamLimiter: this.limiter(stripeAccountId, cached.livemode, 'stream'),
      livemode: cached.livemode,
      stripeAccountId,
    };
  }

  /** How many opened keys this worker holds right now. */
  get openKeyCount(): number {
    return this.accounts.size;
  }

  private forget(scopeKey: string): void {
    const cached = this.accounts.get(scopeKey);
    if (!cached) return;
    clearTimeout(cached.expiry);
    this.accounts.delete(scopeKey);
  }

  private limiter(stripeAccountId: string, livemode: boolean, kind: BudgetKind): SharedBudgetRateLimiter {
    const key = rateBudgetKey(stripeAccountId, livemode, kind);
    let limiter = this.limiters.get(key);
    if (!limiter) {
      const ratePerSecond =
        kind === 'stream'
          ? (this.settings.streamRequestsPerSecond ?? DEFAULT_STREAM_REQUESTS_PER_SECOND)
          : livemode
            ? this.settings.liveWritesPerSecond
            : this.settings.testWritesPerSecond;
      limiter = new SharedBudgetRateLimiter({ ratePerSecond, reserve: reserveAccountSlots(this.db, key, ratePerSecond) });
      this.limiters.set(key, limiter);
    }
    return limiter;
  }
}
