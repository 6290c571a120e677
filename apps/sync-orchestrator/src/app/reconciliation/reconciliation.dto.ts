import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import { IsInt, IsISO8601, IsOptional, IsString, Matches, Max, MaxLength, Min } from 'class-validator';
import { EXTERNAL_ID_PATTERN, EXTERNAL_ID_RULE, FLEXPRICE_ID_PATTERN, FLEXPRICE_ID_RULE, MAX_EXTERNAL_ID_LENGTH } from '@flexsync/runtime';
import { RECONCILIATION_MAX_RANGE_DAYS, RECONCILIATION_STATUS_NAMES, type ReconciliationStatusName } from '@flexsync/sync-contracts';
import type { StoredReconciliationCell, StoredReconciliationRun } from '@flexsync/sync-pipeline';

/** Ranges are in UTC, like the windows they cover; an offset is refused rather than guessed at. */
const UTC_INSTANT = /Z$/;

/** The range and filters shared by reading a reconciliation and running one. */
export class ReconciliationRangeDto {
  @ApiProperty({ example: '2025-06-21T04:00:00Z', description: 'Start (inclusive, UTC), widened down to a window boundary.' })
  @IsISO8601({ strict: true, strictSeparator: true }, { message: 'time_from must be an ISO-8601 instant' })
  @Matches(UTC_INSTANT, { message: 'time_from must be a UTC instant ending in Z' })
  time_from!: string;

  @ApiProperty({
    example: '2025-06-22T04:00:00Z',
    description: `End (exclusive, UTC), widened up to a window boundary; at most ${RECONCILIATION_MAX_RANGE_DAYS} days after time_from.`,
  })
  @IsISO8601({ strict: true, strictSeparator: true }, { message: 'time_to must be an ISO-8601 instant' })
  @Matches(UTC_INSTANT, { message: 'time_to must be a UTC instant ending in Z' })
  time_to!: string;

  @ApiPropertyOptional({ example: 'client_123', description: 'Only this FlexPrice customer.' })
  @IsOptional()
  @IsString()
  @MaxLength(128)
  @Matches(FLEXPRICE_ID_PATTERN, { message: `customer_id must be ${FLEXPRICE_ID_RULE}` })
  customer_id?: string;

  @ApiPropertyOptional({ example: 'meter_storage', description: 'Only this FlexPrice meter; it must have a Stripe meter mapping.' })
  @IsOptional()
  @IsString()
  @MaxLength(MAX_EXTERNAL_ID_LENGTH)
  @Matches(EXTERNAL_ID_PATTERN, { message: `meter_id must be ${EXTERNAL_ID_RULE}` })
  meter_id?: string;
}

export class ReconciliationQueryDto extends ReconciliationRangeDto {
  @ApiPropertyOptional({ default: 100, maximum: 1000 })
  @IsOptional()
  @Type(() => Number)
  @IsInt({ message: 'limit must be an integer' })
  @Min(1)
  @Max(1000)
  limit?: number;

  @ApiPropertyOptional({ description: 'next_cursor of the previous page' })
  @IsOptional()
  @Matches(/^[A-Za-z0-9_-]{1,2000}$/, { message: 'cursor must be a next_cursor value' })
  cursor?: string;
}

export class ReconciliationTotalsView implements Record<ReconciliationStatusName, number> {
  @ApiProperty({ example: 24 }) match!: number;
  @ApiProperty({ example: 0 }) drift!: number;
  @ApiProperty({ example: 1, description: 'Stripe’s summaries may not show the push yet (ingestion lag), or a push is still to go' })
  pending!: number;
  @ApiProperty({ example: 0, description: 'pushes whose outcome Stripe’s totals do not settle' }) unknown_outcome!: number;
}

export class ReconciliationCellView {
  @ApiProperty() customer_id!: string;
  @ApiProperty() meter_id!: string;
  @ApiProperty() window_start!: string;
  @ApiProperty() window_end!: string;
  @ApiProperty({ enum: RECONCILIATION_STATUS_NAMES }) status!: ReconciliationStatusName;
  @ApiProperty({ example: '42.5', description: 'exact quantity ClickHouse measured' }) measured_quantity!: string;
  @ApiProperty({ nullable: true, example: '42.5', description: 'measured quantity in Stripe units (× 10^precision)' })
  measured_value!: string | null;
  @ApiProperty({ example: '42', description: 'Σ sent value of completed ledger rows' }) delivered_value!: string;
  @ApiProperty({ nullable: true, example: '42', description: 'what Stripe’s meter event summaries count; null while pending' })
  stripe_value!: string | null;
  @ApiProperty({ nullable: true, example: '0', description: 'stripe − measured, signed, in Stripe units' }) difference!: string | null;
  @ApiProperty({ nullable: true, example: '0', description: 'stripe − delivered: what the ledger cannot explain' })
  unexplained!: string | null;
  @ApiProperty() unknown_rows!: number;
  @ApiProperty({ nullable: true }) reason!: string | null;
  @ApiProperty({ description: 'when this verdict was reached' }) reconciled_at!: string;
}

export class ReconciliationRunView {
  @ApiProperty() id!: string;
  @ApiProperty({ enum: ['api', 'daily', 'hourly'] }) trigger!: string;
  @ApiProperty({ enum: ['completed', 'failed'] }) status!: string;
  @ApiProperty({ nullable: true }) workflow_id!: string | null;
  @ApiProperty() time_from!: string;
  @ApiProperty() time_to!: string;
  @ApiProperty({ nullable: true }) customer_id!: string | null;
  @ApiProperty({ nullable: true }) meter_id!: string | null;
  @ApiProperty({ type: ReconciliationTotalsView }) totals!: ReconciliationTotalsView;
  @ApiProperty() drift_units!: string;
  @ApiProperty() unknown_outcomes!: number;
  @ApiProperty({ description: 'unknown rows Stripe’s totals showed counted: now completed' }) settled_completed!: number;
  @ApiProperty({ description: 'unknown rows Stripe never counted: re-sent once under a new identifier' }) reidentified!: number;
  @ApiProperty({ nullable: true, description: 'the sync that re-sent them' }) resend_workflow_id!: string | null;
  @ApiProperty({ nullable: true }) error!: string | null;
  @ApiProperty() started_at!: string;
  @ApiProperty() finished_at!: string;
}

export class ReconciliationPageView {
  @ApiProperty() time_from!: string;
  @ApiProperty() time_to!: string;
  @ApiProperty({ type: ReconciliationTotalsView, description: 'cells per status over the whole range and filters, not only this page' })
  totals!: ReconciliationTotalsView;
  @ApiProperty({ example: '0', description: 'Σ |difference| over the drift cells, in Stripe units' }) drift_units!: string;
  @ApiProperty({ type: [ReconciliationCellView] }) cells!: ReconciliationCellView[];
  @ApiProperty({ nullable: true, description: 'pass as cursor for the next page; null on the last page' }) next_cursor!: string | null;
  @ApiProperty({ type: ReconciliationRunView, nullable: true, description: 'the newest run whose range overlaps this one' })
  last_run!: ReconciliationRunView | null;
}

export class ReconciliationStartedView {
  @ApiProperty({ example: 'stripe-reconciliation-api-10:tenant_123-env_prod' }) workflow_id!: string;
  @ApiProperty() run_id!: string;
  @ApiProperty() time_from!: string;
  @ApiProperty() time_to!: string;
}

export function toCellView(cell: StoredReconciliationCell): ReconciliationCellView {
  return {
    customer_id: cell.customerId,
    meter_id: cell.meterId,
    window_start: cell.windowStart,
    window_end: cell.windowEnd,
    status: cell.status,
    measured_quantity: cell.measuredQuantity,
    measured_value: cell.measuredValue,
    delivered_value: cell.deliveredValue,
    stripe_value: cell.stripeValue,
    difference: cell.difference,
    unexplained: cell.unexplained,
    unknown_rows: cell.unknownRows,
    reason: cell.reason,
    reconciled_at: cell.reconciledAt,
  };
}

export function toRunView(run: StoredReconciliationRun): ReconciliationRunView {
  return {
    id: run.id,
    trigger: run.trigger,
    status: run.status,
    workflow_id: run.workflowId,
    time_from: run.timeFrom,
    time_to: run.timeTo,
    customer_id: run.customerId,
    meter_id: run.meterId,
    totals: { match: 0, drift: 0, pending: 0, unknown_outcome: 0, ...run.totals },
    drift_units: run.driftUnits,
    unknown_outcomes: run.unknownOutcomes,
    settled_completed: run.settledCompleted,
    reidentified: run.reidentified,
    resend_workflow_id: run.resendWorkflowId,
    error: run.error,
    started_at: run.startedAt,
    finished_at: run.finishedAt,
  };
}
