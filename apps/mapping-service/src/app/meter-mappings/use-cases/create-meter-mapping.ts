import { Inject, Injectable, Logger } from '@nestjs/common';
import type { MeterProviderMapping, TenantScope } from '@flexsync/persistence';
import type { CreateMeterMappingDto } from '../dto/meter-mapping.dto';
import { MeterMappingStore } from '../meter-mapping.store';

/** One mapping per (tenant, environment, meter_id); a second one is a 409 (the unique index decides, so races agree). */
@Injectable()
export class CreateMeterMapping {
  private readonly logger = new Logger(CreateMeterMapping.name);

  constructor(@Inject(MeterMappingStore) private readonly store: MeterMappingStore) {}

  async execute(scope: TenantScope, dto: CreateMeterMappingDto): Promise<MeterProviderMapping> {
    const mapping = await this.store.insert(scope, {
      meterId: dto.meter_id,
      providerType: dto.provider_type,
      providerMeterId: dto.provider_meter_id,
      syncEnabled: dto.sync_enabled ?? true,
      valuePrecision: dto.value_precision ?? 0,
    });
    this.logger.log({ tenant_id: scope.tenantId, environment_id: scope.environmentId, meter_id: mapping.meterId }, 'meter mapping created');
    return mapping;
  }
}
