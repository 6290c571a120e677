import { Injectable, Logger } from '@nestjs/common';
import { TenantPrincipal } from '@flexsync/auth';
import { DomainError } from '@flexsync/runtime';
import { StripeConfigMetrics } from '../stripe-config.metrics';
import { StripeConfigStore } from '@flexsync/persistence';

/** `DELETE /v1/stripe/config`: removes the caller's config (and its sealed secrets); the audit trail stays. */
@Injectable()
export class DeleteStripeConfig {
  private readonly logger = new Logger(DeleteStripeConfig.name);

  constructor(
    private readonly store: StripeConfigStore,
    private readonly metrics: StripeConfigMetrics,
  ) {}

  async execute(principal: TenantPrincipal): Promise<void> {
    const scope = { tenantId: principal.tenantId, environmentId: principal.environmentId };
    const deleted = await this.store.transaction(async (manager) => {
      const existing = await this.store.findForUpdate(scope, manager);
      if (!existing) return false;
      await this.store.delete(manager, scope);
      await this.store.audit(manager, scope, {
        actor: principal.subject,
        action: 'deleted',
        changedFields: [
          'api_key',
          'sync_enabled',
          'aggregation_window_minutes',
          ...(existing.webhookSecretCiphertext ? ['webhook_secret'] : []),
        ],
        detail: { api_key_masked: existing.apiKeyMasked },
      });
      return true;
    });
    if (!deleted) {
      throw new DomainError('CONFIG.NOT_FOUND', 'no Stripe config for this tenant and environment');
    }
    this.metrics.changed('deleted');
    this.logger.log(
      { tenant_id: scope.tenantId, environment_id: scope.environmentId, actor: principal.subject, action: 'deleted' },
      'stripe config deleted',
    );
  }
}
