import { Inject, Injectable } from '@nestjs/common';
import { StripeConfigStore, type TenantScope, type TenantSyncSettings } from '@flexsync/persistence';
import { DomainError } from '@flexsync/runtime';

export type { TenantSyncSettings } from '@flexsync/persistence';

/** Read-only view of a tenant's sync settings (config-service owns the table; `StripeConfigStore` reads it). */
@Injectable()
export class TenantSyncSettingsReader {
  constructor(@Inject(StripeConfigStore) private readonly configs: StripeConfigStore) {}

  async require(scope: TenantScope): Promise<TenantSyncSettings> {
    const settings = await this.configs.syncSettings(scope);
    if (!settings) {
      throw new DomainError('CONFIG.NOT_FOUND', 'no Stripe config for this tenant and environment; PUT /v1/stripe/config first');
    }
    return settings;
  }
}
