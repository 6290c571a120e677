import { Injectable } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { Repository } from 'typeorm';
import { StripeTenantConfig, TenantScope } from '@flexsync/persistence';
import { DomainError } from '@flexsync/runtime';

export interface TenantSyncSettings {
  windowMinutes: number;
  syncEnabled: boolean;
}

/** Read-only view of a tenant's sync settings (config-service owns the table). */
@Injectable()
export class TenantSyncSettingsReader {
  constructor(@InjectRepository(StripeTenantConfig) private readonly configs: Repository<StripeTenantConfig>) {}

  async require(scope: TenantScope): Promise<TenantSyncSettings> {
    const config = await this.configs.findOne({
      select: { aggregationWindowMinutes: true, syncEnabled: true },
      where: { tenantId: scope.tenantId, environmentId: scope.environmentId },
    });
    if (!config) {
      throw new DomainError('CONFIG.NOT_FOUND', 'no Stripe config for this tenant and environment; PUT /v1/stripe/config first');
    }
    return { windowMinutes: config.aggregationWindowMinutes, syncEnabled: config.syncEnabled };
  }
}
