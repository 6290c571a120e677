import { createHash } from 'node:crypto';
import type { DataSource } from 'typeorm';
import { type LedgerDeliveryRecord, SyncBatchStore, type TenantScope } from '@flexsync/persistence';
import { IDENTIFIER_PREFIX, ledgerPayloadHash } from '../identity';
import type { LedgerWindow } from '../ledger/ledger-rows';
import type { LedgerDelivery } from './reconciliation-cells';

export interface DeliveryFilter {
  customerId?: string;
  meterId?: string;
}

/**
 * The identifier a push is re-armed under when Stripe never counted it and its first identifier is past Stripe's
 * dedupe: derived from the first, so a retried settlement computes the same one.
 */
export function reidentifiedIdentifier(identifier: string): string {
  return `${IDENTIFIER_PREFIX}${createHash('sha256').update(`${identifier}|reconciliation-resend`, 'utf8').digest('hex')}`;
}

/** Reads and settles the ledger rows reconciliation compares with ClickHouse and Stripe, through `SyncBatchStore`. */
export class LedgerDeliveries {
  private readonly batches: SyncBatchStore;

  constructor(private readonly db: DataSource) {
    this.batches = new SyncBatchStore(db);
  }

  /** Every row of the windows inside `range` (windows are half-open and lie wholly inside it). */
  async read(scope: TenantScope, range: LedgerWindow, filter: DeliveryFilter = {}): Promise<LedgerDelivery[]> {
    const records = await this.batches.deliveries(scope, range, filter);
    return records.map((record) => ({
      id: record.id,
      customerId: record.customer_id,
      meterId: record.meter_id,
      eventType: record.event_type,
      windowStart: record.window_start,
      windowEnd: record.window_end,
      identifier: record.identifier,
      status: record.sync_status,
      sentValue: record.sent_value === null ? null : BigInt(record.sent_value),
      target:
        record.event_name === null || record.provider_customer_id === null
          ? null
          : { eventName: record.event_name, stripeCustomerId: record.provider_customer_id },
      retryScheduled: record.next_attempt_at !== null,
      lastSentAtMs: lastSentAt(record)?.getTime() ?? null,
      reidentified: record.superseded_identifier !== null,
    }));
  }

  /** Stripe's total shows these unknown rows counted: they are completed, as if Stripe had answered. */
  markCounted(scope: TenantScope, ids: readonly string[]): Promise<number> {
    return this.batches.markCounted(scope, ids);
  }

  /**
   * Stripe's total shows these unknown rows missing and their identifiers are past Stripe's dedupe: each is re-armed
   * `pending` once, under a new identifier (the old one kept in `superseded_identifier`), with its frozen value, so
   * the next run over its window sends it. A row already re-identified once is left `unknown`.
   */
  async reidentify(scope: TenantScope, ids: readonly string[]): Promise<{ id: string; previous: string; identifier: string }[]> {
    const rearmed: { id: string; previous: string; identifier: string }[] = [];
    for (const id of ids) {
      await this.db.transaction(async (manager) => {
        const row = await this.batches.lockForReidentify(manager, scope, id);
        if (row === undefined) return;
        const identifier = reidentifiedIdentifier(row.identifier);
        const payloadHash = ledgerPayloadHash({
          identifier,
          aggregatedQuantity: row.aggregated_quantity,
          eventCount: row.event_count,
          eventName: row.event_name,
          stripeCustomerId: row.provider_customer_id,
          value: row.sent_value,
          valuePrecision: row.value_precision,
          timestamp: Math.floor(row.meter_event_timestamp.getTime() / 1000),
        });
        await this.batches.reidentify(manager, scope, id, identifier, payloadHash);
        rearmed.push({ id, previous: row.identifier, identifier });
      });
    }
    return rearmed;
  }
}

/**
 * When the row's push last went to Stripe: its completion, its acceptance by the v2 stream, or its first call while
 * neither. A row completed by reconciliation (Stripe's total showed it counted) was last sent at its first call, not
 * when it was settled.
 */
function lastSentAt(record: LedgerDeliveryRecord): Date | null {
  if (record.reconciled_at !== null && record.superseded_identifier === null) return record.first_sent_at;
  return record.completed_at ?? record.stream_accepted_at ?? record.first_sent_at;
}
