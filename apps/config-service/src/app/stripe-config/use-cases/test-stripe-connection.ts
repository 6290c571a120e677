import { Injectable, Logger } from '@nestjs/common';
import { TenantPrincipal } from '@flexsync/auth';
import { SecretBox, SecretBoxError } from '@flexsync/crypto';
import { StripeConfigStore, TenantScope } from '@flexsync/persistence';
import { DomainError } from '@flexsync/runtime';
import { ConnectionProbeResult, StripeConnectionProbe } from '../../stripe-connection/stripe-connection-probe';
import { StripeConfigMetrics } from '../stripe-config.metrics';

export type ConnectionTestOutcome = ConnectionProbeResult & { testedAt: Date };

/**
 * `POST /v1/stripe/config/test`: opens the stored key, asks Stripe for the balance and the account, and records the
 * outcome on the config (last tested at, result, livemode, Stripe account id) and in the audit trail.
 */
@Injectable()
export class TestStripeConnection {
  private readonly logger = new Logger(TestStripeConnection.name);

  constructor(
    private readonly store: StripeConfigStore,
    private readonly secretBox: SecretBox,
    private readonly probe: StripeConnectionProbe,
    private readonly metrics: StripeConfigMetrics,
  ) {}

  async execute(principal: TenantPrincipal): Promise<ConnectionTestOutcome> {
    const scope: TenantScope = { tenantId: principal.tenantId, environmentId: principal.environmentId };
    const config = await this.store.find(scope);
    if (!config) {
      throw new DomainError('CONFIG.NOT_FOUND', 'no Stripe config for this tenant and environment');
    }
    const apiKey = this.openApiKey(scope, config.apiKeyCiphertext, config.apiKeyKeyId);
    const result = await this.probe.check(apiKey);
    const testedAt = new Date();
    await this.record(scope, config.apiKeyCiphertext, principal.subject, result, testedAt);
    this.metrics.tested(result.result);
    this.logger.log(
      {
        tenant_id: scope.tenantId,
        environment_id: scope.environmentId,
        actor: principal.subject,
        result: result.result,
        ...(result.result === 'connected'
          ? { livemode: result.livemode, stripe_account_id: result.accountId }
          : { reason: result.message }),
      },
      'stripe connection tested',
    );
    return { ...result, testedAt };
  }

  private openApiKey(scope: TenantScope, ciphertext: string, keyId: string): string {
    try {
      return this.secretBox.open({ ciphertext, keyId }, { ...scope, field: 'api_key' });
    } catch (error) {
      if (!(error instanceof SecretBoxError)) throw error;
      this.logger.error(
        { tenant_id: scope.tenantId, environment_id: scope.environmentId, key_id: keyId, reason: error.reason },
        'stored api key cannot be opened',
      );
      // The key id stays in the operator's log: API clients learn only that the stored key is unusable.
      throw new DomainError(
        'CONFIG.SECRET_UNREADABLE',
        'the stored API key cannot be decrypted for this tenant and environment; save the key again',
        { reason: error.reason },
      );
    }
  }

  private async record(
    scope: TenantScope,
    testedCiphertext: string,
    actor: string,
    result: ConnectionProbeResult,
    testedAt: Date,
  ): Promise<void> {
    await this.store.transaction(async (manager) => {
      const updated = await this.store.recordConnectionTest(manager, scope, testedCiphertext, {
        lastTestedAt: testedAt,
        lastTestStatus: result.result,
        lastTestMessage: result.result === 'connected' ? null : result.message,
        // What webhook-ingest checks deliveries against; a failed test keeps the last account seen.
        ...(result.result === 'connected' ? { livemode: result.livemode, stripeAccountId: result.accountId } : {}),
      });
      if (!updated) return;
      await this.store.audit(manager, scope, {
        actor,
        action: 'tested',
        changedFields: [],
        detail: {
          result: result.result,
          ...(result.result === 'connected' ? { livemode: result.livemode, stripe_account_id: result.accountId } : {}),
        },
      });
    });
  }
}
