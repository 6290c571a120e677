import { Inject, Injectable, Logger } from '@nestjs/common';
import { MeterMappingStore, type MeterProviderMapping, type TenantScope } from '@flexsync/persistence';
import { DomainError } from '@flexsync/runtime';
import type { UpdateMeterMappingDto } from '../dto/meter-mapping.dto';
import { StripeMeterVerifier } from '../stripe-meter-verifier';

/**
 * Changes the Stripe event name, sync flag or precision; `meter_id` and `provider_type` identify the mapping and stay.
 * A new Stripe meter, or turning sync on, is checked in Stripe first (as on create).
 */
@Injectable()
export class UpdateMeterMapping {
  private readonly logger = new Logger(UpdateMeterMapping.name);

  constructor(
    @Inject(MeterMappingStore) private readonly store: MeterMappingStore,
    @Inject(StripeMeterVerifier) private readonly meters: StripeMeterVerifier,
  ) {}

  async execute(scope: TenantScope, meterId: string, dto: UpdateMeterMappingDto): Promise<MeterProviderMapping> {
    if (dto.provider_meter_id === undefined && dto.sync_enabled === undefined && dto.value_precision === undefined) {
      throw new DomainError('REQUEST.INVALID', 'nothing to update: send provider_meter_id, sync_enabled or value_precision', [
        { field: 'body', reason: 'at least one of provider_meter_id, sync_enabled, value_precision is required' },
      ]);
    }
    const mapping = await this.store.get(scope, meterId);
    const changed: string[] = [];
    if (dto.provider_meter_id !== undefined && dto.provider_meter_id !== mapping.providerMeterId) {
      mapping.providerMeterId = dto.provider_meter_id;
      changed.push('provider_meter_id');
    }
    if (dto.sync_enabled !== undefined && dto.sync_enabled !== mapping.syncEnabled) {
      mapping.syncEnabled = dto.sync_enabled;
      changed.push('sync_enabled');
    }
    if (dto.value_precision !== undefined && dto.value_precision !== mapping.valuePrecision) {
      mapping.valuePrecision = dto.value_precision;
      changed.push('value_precision');
    }
    if (changed.length === 0) return mapping;
    if (mapping.syncEnabled && (changed.includes('provider_meter_id') || changed.includes('sync_enabled'))) {
      await this.meters.verify(scope, mapping.providerMeterId);
    }
    const saved = await this.store.save(mapping);
    this.logger.log(
      { tenant_id: scope.tenantId, environment_id: scope.environmentId, meter_id: meterId, changed },
      'meter mapping updated',
    );
    return saved;
  }
}
