import { Inject, Injectable, Logger } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { Repository } from 'typeorm';
import { SecretBox } from '@flexsync/crypto';
import { StripeTenantConfig, type TenantScope } from '@flexsync/persistence';
import { DomainError } from '@flexsync/runtime';
import { WebhookIngestConfig } from '../webhook-ingest.config';

/** The endpoint exists (a `stripe_tenant_configs` row); `secret` is what signs its webhooks, if any is configured. */
export interface WebhookEndpoint {
  secret: string | undefined;
  source: 'tenant' | 'global' | 'none';
}

interface CachedEndpoint {
  endpoint: WebhookEndpoint;
  expiresAt: number;
}

/**
 * Resolves the signing secret of a tenant's webhook endpoint: the tenant's own (decrypted), else the global
 * `STRIPE_WEBHOOK_SECRET`. Found endpoints are cached briefly; unknown ones are not, so a new config works at once.
 */
@Injectable()
export class WebhookSigningSecrets {
  private readonly logger = new Logger(WebhookSigningSecrets.name);
  private readonly cache = new Map<string, CachedEndpoint>();

  constructor(
    @InjectRepository(StripeTenantConfig) private readonly configs: Repository<StripeTenantConfig>,
    @Inject(SecretBox) private readonly secretBox: SecretBox,
    @Inject(WebhookIngestConfig) private readonly config: WebhookIngestConfig,
  ) {}

  /** Undefined when the tenant/environment has no Stripe config (an unknown endpoint). */
  async resolve(scope: TenantScope, options: { fresh?: boolean } = {}): Promise<WebhookEndpoint | undefined> {
    const key = `${scope.tenantId}\u0000${scope.environmentId}`;
    const cached = this.cache.get(key);
    if (!options.fresh && cached && cached.expiresAt > Date.now()) return cached.endpoint;

    const row = await this.configs.findOne({
      select: { id: true, webhookSecretCiphertext: true, webhookSecretKeyId: true },
      where: { tenantId: scope.tenantId, environmentId: scope.environmentId },
    });
    if (!row) {
      this.cache.delete(key);
      return undefined;
    }
    const endpoint = this.endpointFor(scope, row);
    if (this.config.WEBHOOK_SECRET_CACHE_TTL_MS > 0) {
      this.cache.set(key, { endpoint, expiresAt: Date.now() + this.config.WEBHOOK_SECRET_CACHE_TTL_MS });
    }
    return endpoint;
  }

  /** True when `resolve` would answer from the cache (so a failed check is worth one fresh read). */
  isCached(scope: TenantScope): boolean {
    const cached = this.cache.get(`${scope.tenantId}\u0000${scope.environmentId}`);
    return cached !== undefined && cached.expiresAt > Date.now();
  }

  private endpointFor(
    scope: TenantScope,
    row: Pick<StripeTenantConfig, 'webhookSecretCiphertext' | 'webhookSecretKeyId'>,
  ): WebhookEndpoint {
    if (row.webhookSecretCiphertext && row.webhookSecretKeyId) {
      try {
        return {
          secret: this.secretBox.open(
            { ciphertext: row.webhookSecretCiphertext, keyId: row.webhookSecretKeyId },
            { ...scope, field: 'webhook_secret' },
          ),
          source: 'tenant',
        };
      } catch (error) {
        // The keyring cannot open it (key removed or value corrupted): a server-side fault, so Stripe should retry later.
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
    if (this.config.STRIPE_WEBHOOK_SECRET) return { secret: this.config.STRIPE_WEBHOOK_SECRET, source: 'global' };
    return { secret: undefined, source: 'none' };
  }
}
