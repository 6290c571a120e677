import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsBoolean, IsDefined, IsIn, IsInt, IsString, Matches, Max, MaxLength, Min, MinLength, ValidateIf } from 'class-validator';
import { PROVIDER_TYPES, type ProviderType } from '@flexsync/persistence';
import { ID_RULES } from '@flexsync/runtime';
import { EXTERNAL_ID_PATTERN, MAX_STRIPE_EVENT_NAME_LENGTH } from '../../shared/identifiers';

const VISIBLE = { message: '$property must be visible ASCII characters without spaces' };
const METER_ID = ID_RULES.flexprice_meter;
const isPresent = (value: unknown): boolean => value !== undefined;

/** Body of `POST /v1/stripe/meters/mapping` (the playbook's step 2). */
export class CreateMeterMappingDto {
  @ApiProperty({ description: 'FlexPrice meter id.', example: 'meter_storage', maxLength: METER_ID.maxLength, pattern: METER_ID.pattern.source })
  @IsDefined({ message: 'meter_id is required' })
  @IsString()
  @Matches(METER_ID.pattern, { message: `meter_id must be ${METER_ID.description}` })
  meter_id!: string;

  @ApiProperty({ enum: PROVIDER_TYPES, example: 'stripe' })
  @IsDefined({ message: 'provider_type is required' })
  @IsIn(PROVIDER_TYPES)
  provider_type!: ProviderType;

  @ApiProperty({
    description: 'The Stripe Meter’s event_name or id (`mtr_…`); the meter must exist, be active and aggregate with sum.',
    example: 'meter.storage',
    maxLength: MAX_STRIPE_EVENT_NAME_LENGTH,
  })
  @IsDefined({ message: 'provider_meter_id is required' })
  @IsString()
  @MinLength(1)
  @MaxLength(MAX_STRIPE_EVENT_NAME_LENGTH)
  @Matches(EXTERNAL_ID_PATTERN, VISIBLE)
  provider_meter_id!: string;

  @ApiPropertyOptional({ default: true, description: 'Whether the sync pushes this meter’s usage.' })
  @ValidateIf((_dto, value) => isPresent(value))
  @IsBoolean()
  sync_enabled?: boolean;

  @ApiPropertyOptional({
    minimum: 0,
    maximum: 12,
    default: 0,
    description: 'Decimal places kept when usage is sent as Stripe’s whole numbers (value × 10^precision).',
  })
  @ValidateIf((_dto, value) => isPresent(value))
  @IsInt()
  @Min(0)
  @Max(12)
  value_precision?: number;
}

/** Body of `PATCH /v1/stripe/meters/mapping/{meter_id}`: any of the mutable fields. */
export class UpdateMeterMappingDto {
  @ApiPropertyOptional({ maxLength: MAX_STRIPE_EVENT_NAME_LENGTH })
  @ValidateIf((_dto, value) => isPresent(value))
  @IsString()
  @MinLength(1)
  @MaxLength(MAX_STRIPE_EVENT_NAME_LENGTH)
  @Matches(EXTERNAL_ID_PATTERN, VISIBLE)
  provider_meter_id?: string;

  @ApiPropertyOptional()
  @ValidateIf((_dto, value) => isPresent(value))
  @IsBoolean()
  sync_enabled?: boolean;

  @ApiPropertyOptional({ minimum: 0, maximum: 12 })
  @ValidateIf((_dto, value) => isPresent(value))
  @IsInt()
  @Min(0)
  @Max(12)
  value_precision?: number;
}
