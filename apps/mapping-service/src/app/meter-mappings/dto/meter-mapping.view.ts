import { ApiProperty } from '@nestjs/swagger';
import { PROVIDER_TYPES, type MeterProviderMapping, type ProviderType } from '@flexsync/persistence';
import { PageInfo } from '../../shared/page';

export class MeterMappingView {
  @ApiProperty({ format: 'uuid' })
  id!: string;

  @ApiProperty()
  tenant_id!: string;

  @ApiProperty()
  environment_id!: string;

  @ApiProperty({ example: 'meter_storage' })
  meter_id!: string;

  @ApiProperty({ enum: PROVIDER_TYPES })
  provider_type!: ProviderType;

  @ApiProperty({ example: 'meter.storage' })
  provider_meter_id!: string;

  @ApiProperty()
  sync_enabled!: boolean;

  @ApiProperty()
  value_precision!: number;

  @ApiProperty({ format: 'date-time' })
  created_at!: string;

  @ApiProperty({ format: 'date-time' })
  updated_at!: string;
}

export class MeterMappingPageView extends PageInfo {
  @ApiProperty({ type: [MeterMappingView] })
  data!: MeterMappingView[];
}

export function toMeterMappingView(mapping: MeterProviderMapping): MeterMappingView {
  return {
    id: mapping.id,
    tenant_id: mapping.tenantId,
    environment_id: mapping.environmentId,
    meter_id: mapping.meterId,
    provider_type: mapping.providerType,
    provider_meter_id: mapping.providerMeterId,
    sync_enabled: mapping.syncEnabled,
    value_precision: mapping.valuePrecision,
    created_at: mapping.createdAt.toISOString(),
    updated_at: mapping.updatedAt.toISOString(),
  };
}
