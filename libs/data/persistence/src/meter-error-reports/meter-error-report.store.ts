import type { EntityManager } from 'typeorm';
import type { TenantScope } from '../entities/tenant-scoped';

/** A Stripe meter error report as it is recorded. */
export interface MeterErrorReportRecord {
  stripeEventId: string;
  eventType: string;
  stripeMeterId: string | null;
  errorCount: number;
  sampleCount: number;
  /** Distinct error codes of the samples. */
  errorCodes: string[];
  /** Stripe's `created`, epoch seconds. */
  stripeCreated: number;
}

/**
 * `stripe_meter_error_reports` (entity `StripeMeterErrorReport`): Stripe's asynchronous meter event rejections, one
 * row per report and tenant+environment, written on the caller's transaction (the one that marks the ledger rows the
 * report names). Raw SQL, because recording must be an `INSERT … ON CONFLICT ON CONSTRAINT … DO NOTHING RETURNING`:
 * a redelivered report records nothing and its caller learns so in the same statement.
 */
export class MeterErrorReportStore {
  /** Records the report; undefined when this tenant+environment recorded it before (a redelivery). */
  async record(manager: EntityManager, scope: TenantScope, report: MeterErrorReportRecord): Promise<string | undefined> {
    const recorded: { id: string }[] = await manager.query(
      `INSERT INTO stripe_meter_error_reports
         (tenant_id, environment_id, stripe_event_id, event_type, stripe_meter_id, error_count, sample_count, error_codes, stripe_created_at)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8::text[], to_timestamp($9))
       ON CONFLICT ON CONSTRAINT stripe_meter_error_reports_event_unique DO NOTHING
       RETURNING id`,
      [
        scope.tenantId,
        scope.environmentId,
        report.stripeEventId,
        report.eventType,
        report.stripeMeterId,
        report.errorCount,
        report.sampleCount,
        report.errorCodes,
        report.stripeCreated,
      ],
    );
    return recorded[0]?.id;
  }

  /** How many ledger rows the recorded report's samples named. */
  async setMatchedRows(manager: EntityManager, scope: TenantScope, id: string, matchedRows: number): Promise<void> {
    await manager.query(
      `UPDATE stripe_meter_error_reports SET matched_rows = $4 WHERE tenant_id = $1 AND environment_id = $2 AND id = $3`,
      [scope.tenantId, scope.environmentId, id, matchedRows],
    );
  }
}
