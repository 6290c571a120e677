import { Inject, Injectable, Logger } from '@nestjs/common';
import { MeterMappingStore, type MeterProviderMapping, type TenantScope } from '@flexsync/persistence';
import type { CreateMeterMappingDto } from '../dto/meter-mapping.dto';
import { StripeMeterVerifier } from '../stripe-meter-verifier';

/**
 * One mapping per (tenant, environment, meter_id); a second one is a 409 (the unique index decides, so races agree).
 * The Stripe meter is checked first: missing, inactive or not `sum` → 400 naming the meter and the reason.
 */
@Injectable()
export class CreateMeterMapping {
  private readonly logger = new Logger(CreateMeterMapping.name);

  constructor(
    @Inject(MeterMappingStore) private readonly store: MeterMappingStore,
    @Inject(StripeMeterVerifier) private readonly meters: StripeMeterVerifier,
  ) {}

  async execute(scope: TenantScope, dto: CreateMeterMappingDto): Promise<MeterProviderMapping> {
    await this.meters.verify(scope, dto.provider_meter_id);
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
