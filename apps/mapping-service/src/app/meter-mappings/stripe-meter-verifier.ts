import { Inject, Injectable, Logger } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { Counter } from 'prom-client';
import { DataSource } from 'typeorm';
import { SecretBox, SecretBoxError, secretBoxFrom } from '@flexsync/crypto';
import { MetricsRegistry } from '@flexsync/observability';
import { StripeConfigStore, type TenantScope } from '@flexsync/persistence';
import { DomainError } from '@flexsync/runtime';
import { checkStripeMeters, StripeAccountClient, StripeCallError } from '@flexsync/stripe-client';
import { MappingServiceConfig } from '../mapping-service.config';

/**
 * Checks in the tenant's own Stripe account that the meter a mapping names (event_name or meter id) exists, is active
 * and aggregates with `sum`, before the mapping is saved: the sync sends usage deltas, which any other formula would
 * bill wrongly, and a missing or inactive meter would reject every push.
 *
 * The tenant's API key is opened here with the keyring, bound to tenant|environment|api_key (this service never opens
 * webhook secrets), used for one meter listing and dropped; it never reaches a log, an error or a response.
 */
@Injectable()
export class StripeMeterVerifier {
  private readonly logger = new Logger(StripeMeterVerifier.name);
  private readonly secretBox: SecretBox;
  private readonly checks: Counter<'result'>;
  private readonly configs: StripeConfigStore;

  constructor(
    @InjectDataSource() db: DataSource,
    @Inject(MappingServiceConfig) private readonly config: MappingServiceConfig,
    @Inject(MetricsRegistry) registry: MetricsRegistry,
  ) {
    this.secretBox = secretBoxFrom(config);
    this.configs = new StripeConfigStore(db);
    this.checks = new Counter({
      name: 'meter_mapping_stripe_checks_total',
      help: 'Stripe meter checks on mapping create/update, by result (usable, refused, no_config, stripe_auth, stripe_unavailable)',
      labelNames: ['result'],
      registers: [registry],
    });
  }

  /** Resolves when the meter can receive usage; otherwise throws the 4xx (or 502) an admin can act on. */
  async verify(scope: TenantScope, providerMeterId: string): Promise<void> {
    const log = { tenant_id: scope.tenantId, environment_id: scope.environmentId, provider_meter_id: providerMeterId };
    const client = await this.client(scope);
    let check;
    try {
      check = (await checkStripeMeters(client, [providerMeterId])).get(providerMeterId);
    } catch (error) {
      const detail = error instanceof Error ? error.message : String(error);
      if (error instanceof StripeCallError && error.kind === 'auth') {
        this.checks.inc({ result: 'stripe_auth' });
        throw new DomainError('STRIPE.AUTH_FAILED', `Stripe refused the tenant's API key while checking meter '${providerMeterId}'`);
      }
      this.checks.inc({ result: 'stripe_unavailable' });
      this.logger.warn({ ...log, error: detail }, 'stripe meters could not be listed');
      throw new DomainError('STRIPE.UNAVAILABLE', `Stripe could not be asked about meter '${providerMeterId}'; try again`, undefined, {
        cause: error,
      });
    }
    if (check === undefined || check.usable) {
      this.checks.inc({ result: 'usable' });
      return;
    }
    this.checks.inc({ result: 'refused' });
    this.logger.log({ ...log, reason: check.reason }, 'meter mapping refused: the Stripe meter cannot receive usage');
    throw new DomainError('REQUEST.INVALID', `provider_meter_id '${providerMeterId}' cannot receive usage: ${check.reason}`, [
      { field: 'provider_meter_id', reason: check.reason },
    ]);
  }

  private async client(scope: TenantScope): Promise<StripeAccountClient> {
    const stored = await this.configs.find(scope);
    if (!stored) {
      this.checks.inc({ result: 'no_config' });
      throw new DomainError(
        'CONFIG.NOT_FOUND',
        'no Stripe config for this tenant and environment: save one (PUT /v1/stripe/config) before mapping meters, so the meter can be checked in Stripe',
      );
    }
    let apiKey: string;
    try {
      apiKey = this.secretBox.open(
        { ciphertext: stored.apiKeyCiphertext, keyId: stored.apiKeyKeyId },
        { ...scope, field: 'api_key' },
      );
    } catch (error) {
      const reason = error instanceof SecretBoxError ? error.reason : 'unreadable';
      this.logger.error({ tenant_id: scope.tenantId, environment_id: scope.environmentId, reason }, 'stripe api key cannot be opened');
      throw new DomainError('CONFIG.SECRET_UNREADABLE', 'the stored Stripe API key cannot be opened by this service', undefined, { cause: error });
    }
    return new StripeAccountClient({
      apiKey,
      ...(this.config.STRIPE_API_BASE_URL ? { baseUrl: this.config.STRIPE_API_BASE_URL } : {}),
      timeoutMs: this.config.STRIPE_TIMEOUT_MS,
      maxNetworkRetries: 1,
    });
  }
}
