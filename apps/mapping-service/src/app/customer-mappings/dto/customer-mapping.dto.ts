import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsDefined, IsIn, IsString, Matches, MaxLength, MinLength, ValidateIf } from 'class-validator';
import { PROVIDER_TYPES, type CustomerMappingStatus, type ProviderType } from '@flexsync/persistence';
import { EXTERNAL_ID_PATTERN, MAX_EXTERNAL_ID_LENGTH } from '../../shared/identifiers';
import { PageQuery } from '../../shared/page';

const VISIBLE = { message: '$property must be visible ASCII characters without spaces' };
export const CUSTOMER_MAPPING_STATUSES: CustomerMappingStatus[] = ['mapped', 'unmatched', 'deleted'];

/** Body of `POST /v1/stripe/customers/mapping`: map by hand (the playbook's step 3), or resolve an unmatched Stripe customer. */
export class CreateCustomerMappingDto {
  @ApiProperty({ description: 'FlexPrice customer id.', example: 'client_123', maxLength: MAX_EXTERNAL_ID_LENGTH })
  @IsDefined({ message: 'customer_id is required' })
  @IsString()
  @MinLength(1)
  @MaxLength(MAX_EXTERNAL_ID_LENGTH)
  @Matches(EXTERNAL_ID_PATTERN, VISIBLE)
  customer_id!: string;

  @ApiProperty({ enum: PROVIDER_TYPES, example: 'stripe' })
  @IsDefined({ message: 'provider_type is required' })
  @IsIn(PROVIDER_TYPES)
  provider_type!: ProviderType;

  @ApiProperty({ description: 'Stripe customer id.', example: 'cus_test123', maxLength: MAX_EXTERNAL_ID_LENGTH })
  @IsDefined({ message: 'provider_customer_id is required' })
  @IsString()
  @MinLength(1)
  @MaxLength(MAX_EXTERNAL_ID_LENGTH)
  @Matches(EXTERNAL_ID_PATTERN, VISIBLE)
  provider_customer_id!: string;
}

/** Query of `GET /v1/stripe/customers/mapping`. */
export class ListCustomerMappingsQuery extends PageQuery {
  @ApiPropertyOptional({ description: 'FlexPrice customer id.' })
  @ValidateIf((query: ListCustomerMappingsQuery) => query.customer_id !== undefined)
  @IsString()
  @MaxLength(MAX_EXTERNAL_ID_LENGTH)
  customer_id?: string;

  @ApiPropertyOptional({ description: 'Stripe customer id.' })
  @ValidateIf((query: ListCustomerMappingsQuery) => query.provider_customer_id !== undefined)
  @IsString()
  @MaxLength(MAX_EXTERNAL_ID_LENGTH)
  provider_customer_id?: string;

  @ApiPropertyOptional({
    enum: CUSTOMER_MAPPING_STATUSES,
    description: 'e.g. `unmatched` lists Stripe customers whose metadata names no FlexPrice customer.',
  })
  @ValidateIf((query: ListCustomerMappingsQuery) => query.status !== undefined)
  @IsIn(CUSTOMER_MAPPING_STATUSES)
  status?: CustomerMappingStatus;
}
