import { Inject, Injectable, Logger } from '@nestjs/common';
import { SecretBox } from '@flexsync/crypto';
import { StripeConfigStore, type StripeTenantConfig, type TenantScope } from '@flexsync/persistence';
import { DomainError } from '@flexsync/runtime';
import { WebhookIngestConfig } from '../webhook-ingest.config';

/**
 * The endpoint exists (a `stripe_tenant_configs` row); `secret` is what signs its webhooks, if any is configured;
 * `livemode` and `stripeAccountId` are what its deliveries must name.
 */
export interface WebhookEndpoint {
  secret: string | undefined;
  source: 'tenant' | 'global' | 'none';
  /** From the last connection test, else the mode of the stored key. */
  livemode: boolean;
  /** From the last successful connection test; null until one ran. */
  stripeAccountId: string | null;
}

interface CachedEndpoint {
  endpoint: WebhookEndpoint | undefined;
  readAt: number;
  expiresAt: number;
}

/** Bounds the cache against a scan of made-up tenant ids; the oldest entries go first. */
const MAX_CACHED_ENDPOINTS = 10_000;

/**
 * Resolves the signing secret of a tenant's webhook endpoint: the tenant's own (decrypted), else — in development
 * only — the global `STRIPE_WEBHOOK_SECRET`. Found endpoints are cached for `WEBHOOK_SECRET_CACHE_TTL_MS`, unknown
 * ones for `WEBHOOK_UNKNOWN_ENDPOINT_CACHE_TTL_MS`, so made-up tenant ids cost no database round trip each.
 */
@Injectable()
export class WebhookSigningSecrets {
  private readonly logger = new Logger(WebhookSigningSecrets.name);
  private readonly cache = new Map<string, CachedEndpoint>();

  constructor(
    @Inject(StripeConfigStore) private readonly configs: StripeConfigStore,
    @Inject(SecretBox) private readonly secretBox: SecretBox,
    @Inject(WebhookIngestConfig) private readonly config: WebhookIngestConfig,
  ) {
    if (config.STRIPE_WEBHOOK_SECRET && !config.globalWebhookSecret) {
      this.logger.warn(
        { node_env: config.NODE_ENV ?? null },
        'STRIPE_WEBHOOK_SECRET is set but ignored outside development (set STRIPE_WEBHOOK_GLOBAL_SECRET_ALLOWED=true to use it)',
      );
    }
  }

  /** Undefined when the tenant/environment has no Stripe config (an unknown endpoint). */
  async resolve(scope: TenantScope, options: { fresh?: boolean } = {}): Promise<WebhookEndpoint | undefined> {
    const key = cacheKey(scope);
    const cached = this.cache.get(key);
    if (!options.fresh && cached && cached.expiresAt > Date.now()) return cached.endpoint;

    const row = await this.configs.find(scope);
    const endpoint = row ? this.endpointFor(scope, row) : undefined;
    const ttl = endpoint ? this.config.WEBHOOK_SECRET_CACHE_TTL_MS : this.config.WEBHOOK_UNKNOWN_ENDPOINT_CACHE_TTL_MS;
    this.cache.delete(key);
    if (ttl > 0) {
      if (this.cache.size >= MAX_CACHED_ENDPOINTS) this.cache.delete(this.cache.keys().next().value as string);
      const entry = { endpoint, readAt: Date.now(), expiresAt: Date.now() + ttl };
      this.cache.set(key, entry);
      if (endpoint?.source === 'tenant') {
        // A decrypted secret leaves memory when its TTL ends, even if the endpoint is never called again.
        setTimeout(() => {
          if (this.cache.get(key) === entry) this.cache.delete(key);
        }, ttl).unref();
      }
    }
    return endpoint;
  }

  /** How many decrypted tenant secrets this process holds right now. */
  get openSecretCount(): number {
    return [...this.cache.values()].filter((entry) => entry.endpoint?.source === 'tenant').length;
  }

  /**
   * True when a failed check is worth one fresh read (the secret may have been rotated): the endpoint came from the
   * cache and was read more than `WEBHOOK_SECRET_REREAD_MIN_INTERVAL_MS` ago. The interval keeps a stream of forged
   * signatures for a known tenant as cheap as one for an unknown tenant (no database read, no decryption each).
   */
  worthRereading(scope: TenantScope): boolean {
    const cached = this.cache.get(cacheKey(scope));
    const now = Date.now();
    return (
      cached !== undefined &&
      cached.endpoint !== undefined &&
      cached.expiresAt > now &&
      now - cached.readAt >= this.config.WEBHOOK_SECRET_REREAD_MIN_INTERVAL_MS
    );
  }

  private endpointFor(
    scope: TenantScope,
    row: Pick<StripeTenantConfig, 'webhookSecretCiphertext' | 'webhookSecretKeyId' | 'livemode' | 'stripeAccountId' | 'apiKeyMasked'>,
  ): WebhookEndpoint {
    const binding = { livemode: row.livemode ?? row.apiKeyMasked.includes('_live_'), stripeAccountId: row.stripeAccountId };
    if (row.webhookSecretCiphertext && row.webhookSecretKeyId) {
      try {
        return {
          secret: this.secretBox.open(
            { ciphertext: row.webhookSecretCiphertext, keyId: row.webhookSecretKeyId },
            { ...scope, field: 'webhook_secret' },
          ),
          source: 'tenant',
          ...binding,
        };
      } catch (error) {
        // The keyring cannot open it (key removed, value corrupted or moved from another row): a server-side fault.
        this.logger.error(
          {
            tenant_id: scope.tenantId,
            environment_id: scope.environmentId,
            key_id: row.webhookSecretKeyId,
            reason: error instanceof Error ? error.message : 'unknown',
          },
          'webhook secret cannot be decrypted',
        );
        throw new DomainError('WEBHOOK.UNAVAILABLE', 'webhook endpoint temporarily unavailable');
      }
    }
    const global = this.config.globalWebhookSecret;
    if (global) return { secret: global, source: 'global', ...binding };
    return { secret: undefined, source: 'none', ...binding };
  }
}

function cacheKey(scope: TenantScope): string {
  return `${scope.tenantId}\u0000${scope.environmentId}`;
}
