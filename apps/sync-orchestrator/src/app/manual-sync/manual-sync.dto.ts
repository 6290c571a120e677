import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { FLEXPRICE_ID_PATTERN, FLEXPRICE_ID_RULE } from '@flexsync/runtime';
import { IsBoolean, IsIn, IsISO8601, IsOptional, IsString, Matches, MaxLength } from 'class-validator';

/** Ranges are in UTC, like the windows they are split into; an offset is refused rather than guessed at. */
const UTC_INSTANT = /Z$/;

/** Playbook §6: `POST /v1/stripe/sync/manual`. */
export class ManualSyncRequestDto {
  @ApiPropertyOptional({ example: 'client_123', description: 'Limits the sync to one FlexPrice customer.' })
  @IsOptional()
  @IsString()
  @MaxLength(128)
  @Matches(FLEXPRICE_ID_PATTERN, { message: `entity_id must be ${FLEXPRICE_ID_RULE}` })
  entity_id?: string;

  @ApiPropertyOptional({ example: 'customer', enum: ['customer'] })
  @IsOptional()
  @IsIn(['customer'], { message: 'entity_type must be customer' })
  entity_type?: 'customer';

  @ApiProperty({
    example: '2025-06-21T04:00:00Z',
    description: 'Start (inclusive, UTC), rounded down to a window boundary; within Stripe’s 35-day limit less a 1 h margin.',
  })
  @IsISO8601({ strict: true, strictSeparator: true }, { message: 'time_from must be an ISO-8601 instant' })
  @Matches(UTC_INSTANT, { message: 'time_from must be a UTC instant ending in Z' })
  time_from!: string;

  @ApiProperty({ example: '2025-06-22T04:00:00Z', description: 'End (exclusive, UTC), rounded up to a window boundary.' })
  @IsISO8601({ strict: true, strictSeparator: true }, { message: 'time_to must be an ISO-8601 instant' })
  @Matches(UTC_INSTANT, { message: 'time_to must be a UTC instant ending in Z' })
  time_to!: string;

  @ApiPropertyOptional({ default: false, description: 'Re-send completed windows (same identities; Stripe dedupes).' })
  @IsOptional()
  @IsBoolean()
  force_rerun?: boolean;
}

export class ManualSyncStartedView {
  @ApiProperty({ example: 'stripe-sync-manual-tenant_1-env_1-2f0c…' })
  workflow_id!: string;

  @ApiProperty()
  run_id!: string;

  @ApiProperty({ example: '2025-06-21T04:00:00.000Z' })
  time_from!: string;

  @ApiProperty({ example: '2025-06-22T04:00:00.000Z' })
  time_to!: string;

  @ApiProperty({ example: 24 })
  windows!: number;
}
