import type { DataSource } from 'typeorm';
import type { StripeMeterErrorReportMessage } from '@flexsync/kafka';
import { MeterErrorReportStore, SyncBatchStore, type TenantScope } from '@flexsync/persistence';
import { clipError } from './push-page-planner';

/** How a ledger row named by a Stripe error report starts its `error_message`. */
export const STRIPE_REJECTED_PREFIX = 'stripe rejected: ';

export function stripeRejectedMessage(code: string, message: string): string {
  return clipError(`${STRIPE_REJECTED_PREFIX}${code}: ${message}`);
}

export interface AppliedMeterErrorReport {
  /** The report was recorded before (a redelivery): nothing changed. */
  duplicate: boolean;
  /** Ledger rows of the tenant+environment the report's samples named, now marked. */
  markedRows: number;
  samples: number;
  /** Sampled identifiers that name no ledger row of this tenant+environment. */
  unknownIdentifiers: number;
}

/**
 * Applies Stripe's asynchronous meter event rejections to the ledger, once per report (unique Stripe event id per
 * tenant+environment, in the same transaction as the marks, so a redelivery is harmless):
 *
 * - the report is recorded in `stripe_meter_error_reports` (`MeterErrorReportStore`) whether or not a sample names
 *   a known row (Stripe samples the errors, so a report is the signal that a meter is losing usage even when no row
 *   can be named);
 * - every `stripe_sync_batches` row of the tenant+environment whose `identifier` a sample names is marked, whatever
 *   its status: `sync_status = 'failed'`, `error_message = 'stripe rejected: <code>: <message>'`,
 *   `stripe_error_report_id` = the report's event id, `next_attempt_at = NULL` (re-sending the same identifier would
 *   only be answered as a duplicate, so the system does not retry it on its own; an operator decides), through
 *   `SyncBatchStore.markRejected`.
 */
export class MeterErrorReportLedger {
  private readonly batches: SyncBatchStore;
  private readonly reports = new MeterErrorReportStore();

  constructor(private readonly db: DataSource) {
    this.batches = new SyncBatchStore(db);
  }

  async apply(report: StripeMeterErrorReportMessage): Promise<AppliedMeterErrorReport> {
    const tenant: TenantScope = { tenantId: report.tenant_id, environmentId: report.environment_id };
    return this.db.transaction(async (manager) => {
      const recordedId = await this.reports.record(manager, tenant, {
        stripeEventId: report.stripe_event_id,
        eventType: report.event_type,
        stripeMeterId: report.meter,
        errorCount: report.error_count,
        sampleCount: report.samples.length,
        errorCodes: [...new Set(report.samples.map((sample) => sample.code))].sort(),
        stripeCreated: report.stripe_created,
      });
      const identifiers = new Set(report.samples.map((sample) => sample.identifier));
      if (recordedId === undefined) return { duplicate: true, markedRows: 0, samples: report.samples.length, unknownIdentifiers: 0 };

      const byReason = new Map<string, string[]>();
      for (const sample of report.samples) {
        const reason = stripeRejectedMessage(sample.code, sample.message);
        byReason.set(reason, [...(byReason.get(reason) ?? []), sample.identifier]);
      }
      const marked = new Set<string>();
      for (const [reason, named] of byReason) {
        const rows = await this.batches.markRejected(manager, tenant, reason, report.stripe_event_id, named);
        for (const identifier of rows) marked.add(identifier);
      }
      await this.reports.setMatchedRows(manager, tenant, recordedId, marked.size);
      return {
        duplicate: false,
        markedRows: marked.size,
        samples: report.samples.length,
        unknownIdentifiers: [...identifiers].filter((identifier) => !marked.has(identifier)).length,
      };
    });
  }
}
