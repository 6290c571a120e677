import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import {
  PROVIDER_TYPES,
  type CustomerIntegrationMapping,
  type CustomerMappingState,
  type CustomerMappingStatus,
  type ProviderType,
} from '@flexsync/persistence';
import { PageInfo } from '../../shared/page';
import { CUSTOMER_MAPPING_STATUSES } from './customer-mapping.dto';

export class CustomerMappingView {
  @ApiProperty({ format: 'uuid' })
  id!: string;

  @ApiProperty()
  tenant_id!: string;

  @ApiProperty()
  environment_id!: string;

  @ApiProperty({ nullable: true, type: String, description: 'FlexPrice customer id; null while unmatched.' })
  customer_id!: string | null;

  @ApiProperty({ enum: PROVIDER_TYPES })
  provider_type!: ProviderType;

  @ApiProperty({ example: 'cus_test123' })
  provider_customer_id!: string;

  @ApiProperty({ enum: CUSTOMER_MAPPING_STATUSES })
  status!: CustomerMappingStatus;

  @ApiProperty({ enum: ['manual', 'webhook'] })
  source!: 'manual' | 'webhook';

  @ApiPropertyOptional({ nullable: true, type: String, description: 'Why a Stripe customer is unmatched.' })
  unmatched_reason!: string | null;

  @ApiPropertyOptional({ nullable: true, type: String, description: 'Id of the last Stripe event applied.' })
  last_stripe_event_id!: string | null;

  @ApiPropertyOptional({ nullable: true, type: Number, description: 'Stripe `created` (unix seconds) of the last event applied.' })
  last_event_created!: number | null;

  @ApiProperty({ format: 'date-time' })
  created_at!: string;

  @ApiProperty({ format: 'date-time' })
  updated_at!: string;
}

export class CustomerMappingPageView extends PageInfo {
  @ApiProperty({ type: [CustomerMappingView] })
  data!: CustomerMappingView[];
}

export function toCustomerMappingView(mapping: CustomerIntegrationMapping): CustomerMappingView {
  const state = (mapping.metadata ?? {}) as CustomerMappingState;
  return {
    id: mapping.id,
    tenant_id: mapping.tenantId,
    environment_id: mapping.environmentId,
    customer_id: mapping.customerId,
    provider_type: mapping.providerType,
    provider_customer_id: mapping.providerCustomerId,
    status: mapping.status,
    source: mapping.source,
    unmatched_reason: mapping.status === 'unmatched' ? (state.unmatched_reason ?? null) : null,
    last_stripe_event_id: state.last_event_id ?? null,
    last_event_created: mapping.lastEventCreated === null ? null : Number(mapping.lastEventCreated),
    created_at: mapping.createdAt.toISOString(),
    updated_at: mapping.updatedAt.toISOString(),
  };
}
