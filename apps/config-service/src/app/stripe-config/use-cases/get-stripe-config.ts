import { Injectable } from '@nestjs/common';
import { TenantPrincipal } from '@flexsync/auth';
import { StripeConfigStore, StripeTenantConfig } from '@flexsync/persistence';
import { DomainError } from '@flexsync/runtime';

/** `GET /v1/stripe/config`: the caller's own config; another tenant's does not exist from here. */
@Injectable()
export class GetStripeConfig {
  constructor(private readonly store: StripeConfigStore) {}

  async execute(principal: TenantPrincipal): Promise<StripeTenantConfig> {
    const config = await this.store.find({ tenantId: principal.tenantId, environmentId: principal.environmentId });
    if (!config) {
      throw new DomainError('CONFIG.NOT_FOUND', 'no Stripe config for this tenant and environment');
    }
    return config;
  }
}
