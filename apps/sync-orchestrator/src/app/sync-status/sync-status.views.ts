import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import { IsIn, IsInt, IsISO8601, IsOptional, IsUUID, Matches, Max, Min } from 'class-validator';
import type { StripeSyncBatch, SyncStatus } from '@flexsync/persistence';
import { FLEXPRICE_ID_PATTERN, FLEXPRICE_ID_RULE } from '@flexsync/runtime';

/** Every ledger state, listed through a Record so a state added to `SyncStatus` fails to compile until it is here. */
const LEDGER_STATES: Record<SyncStatus, true> = { pending: true, completed: true, failed: true, unknown: true, validating: true };
export const SYNC_STATUSES = Object.keys(LEDGER_STATES) as SyncStatus[];

export class SyncStatusView {
  @ApiProperty({
    example: 0.97,
    nullable: true,
    description: 'completed / (completed + failed) over the period; null when nothing finished',
  })
  success_rate!: number | null;

  @ApiProperty({ example: 0 })
  open_circuit_breakers!: number;

  @ApiProperty({ example: 380, nullable: true, description: 'mean Stripe push latency of completed batches over the period' })
  average_latency_ms!: number | null;

  @ApiProperty({
    example: { pending: 0, completed: 97, failed: 3, unknown: 0, validating: 0 },
    description: 'unknown: may have reached Stripe, outcome undecided until reconciliation',
  })
  batches!: Record<SyncStatus, number>;

  @ApiProperty({ example: '2025-06-21T04:00:00.000Z', description: 'start of the period (last 24 hours)' })
  since!: string;
}

export class ListBatchesQueryDto {
  @ApiPropertyOptional({ enum: SYNC_STATUSES })
  @IsOptional()
  @IsIn(SYNC_STATUSES, { message: `status must be one of ${SYNC_STATUSES.join(', ')}` })
  status?: SyncStatus;

  @ApiPropertyOptional({ example: '2025-06-21T04:00:00Z' })
  @IsOptional()
  @IsISO8601({ strict: true }, { message: 'window_start must be an ISO-8601 instant' })
  window_start?: string;

  @ApiPropertyOptional({ example: 'client_123' })
  @IsOptional()
  @Matches(FLEXPRICE_ID_PATTERN, { message: `customer_id must be ${FLEXPRICE_ID_RULE}` })
  customer_id?: string;

  @ApiPropertyOptional({ default: 50, maximum: 500 })
  @IsOptional()
  @Type(() => Number)
  @IsInt({ message: 'limit must be an integer' })
  @Min(1)
  @Max(500)
  limit?: number;

  @ApiPropertyOptional({ description: 'next_cursor of the previous page' })
  @IsOptional()
  @Matches(/^[A-Za-z0-9_-]{1,200}$/, { message: 'cursor must be a next_cursor value' })
  cursor?: string;
}

export class BatchIdParam {
  @ApiProperty({ description: 'Batch id (uuid) from the batch listing.', format: 'uuid' })
  @IsUUID('all', { message: 'id must be a batch id (uuid)' })
  id!: string;
}

export class SyncBatchView {
  @ApiProperty() id!: string;
  @ApiProperty() customer_id!: string;
  @ApiProperty({ nullable: true }) provider_customer_id!: string | null;
  @ApiProperty() meter_id!: string;
  @ApiProperty({ nullable: true }) event_name!: string | null;
  @ApiProperty() event_type!: string;
  @ApiProperty() window_start!: string;
  @ApiProperty() window_end!: string;
  @ApiProperty() revision!: number;
  @ApiProperty() identifier!: string;
  @ApiProperty({ description: 'exact decimal' }) aggregated_quantity!: string;
  @ApiProperty({ nullable: true }) sent_value!: string | null;
  @ApiProperty() event_count!: string;
  @ApiProperty({ nullable: true }) stripe_event_id!: string | null;
  @ApiProperty({ enum: SYNC_STATUSES }) sync_status!: SyncStatus;
  @ApiProperty({ nullable: true }) error_message!: string | null;
  @ApiProperty() attempt_count!: number;
  @ApiProperty({ nullable: true }) workflow_id!: string | null;
  @ApiProperty({ nullable: true }) latency_ms!: number | null;
  @ApiProperty() created_at!: string;
  @ApiProperty() updated_at!: string;
}

export class SyncBatchPageView {
  @ApiProperty({ type: [SyncBatchView] }) data!: SyncBatchView[];
  @ApiProperty({ nullable: true }) next_cursor!: string | null;
}

export function toSyncBatchView(batch: StripeSyncBatch): SyncBatchView {
  return {
    id: batch.id,
    customer_id: batch.customerId,
    provider_customer_id: batch.providerCustomerId,
    meter_id: batch.meterId,
    event_name: batch.eventName,
    event_type: batch.eventType,
    window_start: batch.windowStart.toISOString(),
    window_end: batch.windowEnd.toISOString(),
    revision: batch.revision,
    identifier: batch.identifier,
    aggregated_quantity: batch.aggregatedQuantity,
    sent_value: batch.sentValue,
    event_count: batch.eventCount,
    stripe_event_id: batch.stripeEventId,
    sync_status: batch.syncStatus,
    error_message: batch.errorMessage,
    attempt_count: batch.attemptCount,
    workflow_id: batch.workflowId,
    latency_ms: batch.latencyMs,
    created_at: batch.createdAt.toISOString(),
    updated_at: batch.updatedAt.toISOString(),
  };
}
