import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { USAGE_SOURCE_NAMES, type StripeTenantConfig, type UsageSourceName } from '@flexsync/persistence';

export class ConnectionTestSummaryView {
  @ApiProperty({ enum: ['connected', 'auth_error', 'unreachable'] })
  status!: string;

  @ApiProperty({ format: 'date-time' })
  tested_at!: string;

  @ApiPropertyOptional({ nullable: true, type: String })
  message!: string | null;

  @ApiPropertyOptional({ nullable: true, type: Boolean })
  livemode!: boolean | null;

  @ApiPropertyOptional({ nullable: true, type: String, description: 'Stripe account seen by the last successful test.' })
  stripe_account_id!: string | null;
}

/** What `GET /v1/stripe/config` shows: settings and a masked key, never a secret. */
export class StripeConfigView {
  @ApiProperty()
  tenant_id!: string;

  @ApiProperty()
  environment_id!: string;

  @ApiProperty({ example: 'sk_test_…wxyz', description: 'Mode prefix and last four characters of the stored key.' })
  api_key_masked!: string;

  @ApiProperty({ enum: ['test', 'live'] })
  api_key_mode!: 'test' | 'live';

  @ApiProperty()
  sync_enabled!: boolean;

  @ApiProperty({ example: 60 })
  aggregation_window_minutes!: number;

  @ApiPropertyOptional({
    nullable: true,
    enum: USAGE_SOURCE_NAMES,
    description: "The usage source this environment overrides the worker's default with; null: the default.",
  })
  usage_source!: UsageSourceName | null;

  @ApiProperty({ description: 'Whether a webhook signing secret is stored (the secret itself is never returned).' })
  webhook_secret_configured!: boolean;

  @ApiPropertyOptional({ type: ConnectionTestSummaryView, nullable: true })
  last_connection_test!: ConnectionTestSummaryView | null;

  @ApiProperty({ format: 'date-time' })
  created_at!: string;

  @ApiProperty({ format: 'date-time' })
  updated_at!: string;
}

export function toStripeConfigView(config: StripeTenantConfig): StripeConfigView {
  return {
    tenant_id: config.tenantId,
    environment_id: config.environmentId,
    api_key_masked: config.apiKeyMasked,
    api_key_mode: config.apiKeyMasked.includes('_live_') ? 'live' : 'test',
    sync_enabled: config.syncEnabled,
    aggregation_window_minutes: config.aggregationWindowMinutes,
    webhook_secret_configured: config.webhookSecretCiphertext !== null,
    usage_source: config.usageSource,
    last_connection_test:
      config.lastTestedAt && config.lastTestStatus
        ? {
            status: config.lastTestStatus,
            tested_at: config.lastTestedAt.toISOString(),
            message: config.lastTestMessage,
            livemode: config.livemode,
            stripe_account_id: config.stripeAccountId,
          }
        : null,
    created_at: config.createdAt.toISOString(),
    updated_at: config.updatedAt.toISOString(),
  };
}
