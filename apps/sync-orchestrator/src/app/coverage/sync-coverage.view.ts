import { ApiProperty } from '@nestjs/swagger';
import type { TenantCoverage } from '@flexsync/sync-contracts';

export class SyncCoverageView {
  @ApiProperty({ example: 'tenant_123' })
  tenant_id!: string;

  @ApiProperty({ example: 'env_prod' })
  environment_id!: string;

  @ApiProperty({ example: 60, description: 'the tenant’s current aggregation_window_minutes' })
  window_minutes!: number;

  @ApiProperty({
    example: '2025-06-21T04:00:00.000Z',
    nullable: true,
    description: 'start of the oldest closed window within Stripe’s age limit not yet fully delivered; null when none',
  })
  oldest_undelivered_window_start!: string | null;

  @ApiProperty({ example: 300, description: 'seconds from the instant up to which every closed window is delivered to as_of' })
  freshness_lag_seconds!: number;

  @ApiProperty({ example: 0, description: 'closed windows within Stripe’s age limit not yet fully delivered' })
  undelivered_windows!: number;

  @ApiProperty({
    example: 0,
    description: 'closed windows never fully delivered that are now older than Stripe accepts (35 days less a margin): no longer sent',
  })
  windows_beyond_limit!: number;

  @ApiProperty({ example: '2025-06-21T05:03:00.000Z', description: 'windows closed by this instant were considered' })
  as_of!: string;
}

export function toSyncCoverageView(coverage: TenantCoverage, asOf: Date): SyncCoverageView {
  return {
    tenant_id: coverage.tenantId,
    environment_id: coverage.environmentId,
    window_minutes: coverage.windowMinutes,
    oldest_undelivered_window_start: coverage.oldestUndelivered ?? null,
    freshness_lag_seconds: coverage.freshnessLagSeconds,
    undelivered_windows: coverage.undelivered,
    windows_beyond_limit: coverage.beyondLimit,
    as_of: asOf.toISOString(),
  };
}
