import type { DataSource } from 'typeorm';
import { SecretBox, SecretBoxError } from '@flexsync/crypto';
import type { TenantScope } from '@flexsync/persistence';
import { RequestRateLimiter, StripeAccountClient, TokenBucketRateLimiter } from '@flexsync/stripe-client';

export interface StripeAccountSettings {
  /** Unset: api.stripe.com. */
  baseUrl?: string;
  timeoutMs: number;
  /** Meter event writes per second per live-mode account (Stripe allows 1,000). */
  liveWritesPerSecond: number;
  /** Meter event writes per second per test-mode account (Stripe allows 25). */
  testWritesPerSecond: number;
  /** How long an opened key (inside its client) is kept for the next page; then it is dropped and re-read. */
  keyTtlMs?: number;
}

/** Long enough to push a window's pages with one decryption, short enough that an idle worker holds no keys. */
export const DEFAULT_KEY_TTL_MS = 60_000;

export type StripeAccount =
  | { ready: true; client: StripeAccountClient; limiter: RequestRateLimiter; livemode: boolean }
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
 * The Stripe account of each tenant+environment: its key is read from `stripe_tenant_configs` and opened with the
 * keyring only here, bound to its row (a ciphertext copied from another tenant or field does not open); the plaintext
 * lives on inside the account's client for at most `keyTtlMs`, never in a log, error or return value.
 * One rate limiter per account is shared by every page this worker pushes for it, and survives key rotation.
 */
export class StripeAccountDirectory {
  private readonly accounts = new Map<string, CachedAccount>();
  private readonly limiters = new Map<string, TokenBucketRateLimiter>();

  constructor(
    private readonly db: DataSource,
    private readonly secretBox: SecretBox,
    private readonly settings: StripeAccountSettings,
  ) {}

  async account(scope: TenantScope): Promise<StripeAccount> {
    const rows: { api_key_ciphertext: string; api_key_key_id: string }[] = await this.db.query(
      `SELECT api_key_ciphertext, api_key_key_id FROM stripe_tenant_configs WHERE tenant_id = $1 AND environment_id = $2`,
      [scope.tenantId, scope.environmentId],
    );
    if (rows.length === 0) return { ready: false, reason: 'stripe config not found' };
    const scopeKey = `${scope.tenantId}|${scope.environmentId}`;
    const { api_key_ciphertext: ciphertext, api_key_key_id: keyId } = rows[0];
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
    return { ready: true, client: cached.client, limiter: this.limiter(scopeKey, cached.livemode), livemode: cached.livemode };
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

  private limiter(scopeKey: string, livemode: boolean): TokenBucketRateLimiter {
    const key = `${scopeKey}|${livemode ? 'live' : 'test'}`;
    let limiter = this.limiters.get(key);
    if (!limiter) {
      limiter = new TokenBucketRateLimiter({
        ratePerSecond: livemode ? this.settings.liveWritesPerSecond : this.settings.testWritesPerSecond,
      });
      this.limiters.set(key, limiter);
    }
    return limiter;
  }
}
