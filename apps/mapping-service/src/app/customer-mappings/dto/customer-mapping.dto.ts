import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsDefined, IsIn, IsString, Matches, ValidateIf } from 'class-validator';
import { PROVIDER_TYPES, type CustomerMappingStatus, type ProviderType } from '@flexsync/persistence';
import { ID_RULES } from '@flexsync/runtime';
import { PageQuery } from '../../shared/page';

const CUSTOMER_ID = ID_RULES.flexprice_customer;
const STRIPE_ID = ID_RULES.stripe;
export const CUSTOMER_MAPPING_STATUSES: CustomerMappingStatus[] = ['mapped', 'unmatched', 'deleted'];

/** Body of `POST /v1/stripe/customers/mapping`: map by hand (the playbook's step 3), or resolve an unmatched Stripe customer. */
export class CreateCustomerMappingDto {
  @ApiProperty({ description: 'FlexPrice customer id.', example: 'client_123', maxLength: CUSTOMER_ID.maxLength, pattern: CUSTOMER_ID.pattern.source })
  @IsDefined({ message: 'customer_id is required' })
  @IsString()
  @Matches(CUSTOMER_ID.pattern, { message: `customer_id must be ${CUSTOMER_ID.description}` })
  customer_id!: string;

  @ApiProperty({ enum: PROVIDER_TYPES, example: 'stripe' })
  @IsDefined({ message: 'provider_type is required' })
  @IsIn(PROVIDER_TYPES)
  provider_type!: ProviderType;

  @ApiProperty({ description: 'Stripe customer id.', example: 'cus_test123', maxLength: STRIPE_ID.maxLength, pattern: STRIPE_ID.pattern.source })
  @IsDefined({ message: 'provider_customer_id is required' })
  @IsString()
  @Matches(STRIPE_ID.pattern, { message: `provider_customer_id must be ${STRIPE_ID.description}` })
  provider_customer_id!: string;
}

/** Query of `GET /v1/stripe/customers/mapping`. */
export class ListCustomerMappingsQuery extends PageQuery {
  @ApiPropertyOptional({ description: 'FlexPrice customer id.' })
  @ValidateIf((query: ListCustomerMappingsQuery) => query.customer_id !== undefined)
  @IsString()
  @Matches(CUSTOMER_ID.pattern, { message: `customer_id must be ${CUSTOMER_ID.description}` })
  customer_id?: string;

  @ApiPropertyOptional({ description: 'Stripe customer id.' })
  @ValidateIf((query: ListCustomerMappingsQuery) => query.provider_customer_id !== undefined)
  @IsString()
  @Matches(STRIPE_ID.pattern, { message: `provider_customer_id must be ${STRIPE_ID.description}` })
  provider_customer_id?: string;

  @ApiPropertyOptional({
    enum: CUSTOMER_MAPPING_STATUSES,
    description: 'e.g. `unmatched` lists Stripe customers whose metadata names no FlexPrice customer.',
  })
  @ValidateIf((query: ListCustomerMappingsQuery) => query.status !== undefined)
  @IsIn(CUSTOMER_MAPPING_STATUSES)
  status?: CustomerMappingStatus;
}
