import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsBoolean, IsDefined, IsIn, IsInt, IsString, Matches, MaxLength, ValidateIf } from 'class-validator';
import { USAGE_SOURCE_NAMES, type UsageSourceName } from '@flexsync/persistence';
import { STRIPE_API_KEY_PATTERN, STRIPE_WEBHOOK_SECRET_PATTERN } from '../stripe-secrets';
import { ALLOWED_WINDOW_MINUTES, TilesHourOrDay } from './aggregation-window';

/** Body of `PUT /v1/stripe/config`. Validation messages name fields and rules, never the submitted values. */
export class PutStripeConfigDto {
  @ApiProperty({
    description: 'Stripe secret (sk_) or restricted (rk_) key, test or live mode. Stored encrypted; never returned.',
    example: 'sk_test_51Abc…',
    maxLength: 255,
  })
  @IsDefined({ message: 'api_key is required' })
  @IsString()
  @MaxLength(255)
  @Matches(STRIPE_API_KEY_PATTERN, { message: 'api_key must look like sk_test_…, sk_live_…, rk_test_… or rk_live_…' })
  api_key!: string;

  @ApiProperty({ description: 'Whether the hourly sync pushes this environment’s usage to Stripe.' })
  @IsDefined({ message: 'sync_enabled is required' })
  @IsBoolean()
  sync_enabled!: boolean;

  @ApiProperty({ description: 'Aggregation window in minutes; must tile the hour or the day.', enum: ALLOWED_WINDOW_MINUTES, example: 60 })
  @IsDefined({ message: 'aggregation_window_minutes is required' })
  @IsInt()
  @TilesHourOrDay()
  aggregation_window_minutes!: number;

  @ApiPropertyOptional({
    description: 'Stripe webhook signing secret (whsec_…). Omit to keep the stored one; null removes it. Stored encrypted; never returned.',
    nullable: true,
    type: String,
    maxLength: 255,
  })
  @ValidateIf((dto: PutStripeConfigDto) => dto.webhook_secret !== undefined && dto.webhook_secret !== null)
  @IsString()
  @MaxLength(255)
  @Matches(STRIPE_WEBHOOK_SECRET_PATTERN, { message: 'webhook_secret must look like whsec_…' })
  webhook_secret?: string | null;

  @ApiPropertyOptional({
    description:
      "Where this environment's usage is read: FlexPrice's meter_usage or the playbook's events_processed. Omit to keep; null uses the worker's default.",
    enum: USAGE_SOURCE_NAMES,
    nullable: true,
  })
  @ValidateIf((dto: PutStripeConfigDto) => dto.usage_source !== undefined && dto.usage_source !== null)
  @IsIn(USAGE_SOURCE_NAMES, { message: `usage_source must be one of ${USAGE_SOURCE_NAMES.join(', ')}` })
  usage_source?: UsageSourceName | null;
}
