import { createHash } from 'node:crypto';
import type { DataSource } from 'typeorm';
import type { TenantScope } from '@flexsync/persistence';
import { IDENTIFIER_PREFIX, ledgerPayloadHash } from '../identity';
import type { LedgerWindow } from '../ledger/ledger-rows';
import type { LedgerDelivery } from './reconciliation-cells';

export interface DeliveryFilter {
  customerId?: string;
  meterId?: string;
}

interface DeliveryRecord {
  id: string;
  customer_id: string;
  meter_id: string;
  event_type: string;
  window_start: Date;
  window_end: Date;
  identifier: string;
  sync_status: LedgerDelivery['status'];
  sent_value: string | null;
  event_name: string | null;
  provider_customer_id: string | null;
  next_attempt_at: Date | null;
  completed_at: Date | null;
  stream_accepted_at: Date | null;
  first_sent_at: Date | null;
  superseded_identifier: string | null;
  reconciled_at: Date | null;
}

/**
 * The identifier a push is re-armed under when Stripe never counted it and its first identifier is past Stripe's
 * dedupe: derived from the first, so a retried settlement computes the same one.
 */
export function reidentifiedIdentifier(identifier: string): string {
  return `${IDENTIFIER_PREFIX}${createHash('sha256').update(`${identifier}|reconciliation-resend`, 'utf8').digest('hex')}`;
}

/** Reads and settles the ledger rows reconciliation compares with ClickHouse and Stripe. */
export class LedgerDeliveries {
  constructor(private readonly db: DataSource) {}

  /** Every row of the windows inside `range` (windows are half-open and lie wholly inside it). */
  async read(scope: TenantScope, range: LedgerWindow, filter: DeliveryFilter = {}): Promise<LedgerDelivery[]> {
    const params: unknown[] = [scope.tenantId, scope.environmentId, range.start, range.end];
    let where = '';
    if (filter.customerId !== undefined) {
      params.push(filter.customerId);
      where += ` AND customer_id = $${params.length}`;
    }
    if (filter.meterId !== undefined) {
      params.push(filter.meterId);
      where += ` AND meter_id = $${params.length}`;
    }
    const records: DeliveryRecord[] = await this.db.query(
      `SELECT id, customer_id, meter_id, event_type, window_start, window_end, identifier, sync_status, sent_value::text,
              event_name, provider_customer_id, next_attempt_at, completed_at, stream_accepted_at, first_sent_at,
              superseded_identifier, reconciled_at
         FROM stripe_sync_batches
        WHERE tenant_id = $1 AND environment_id = $2 AND window_start >= $3 AND window_end <= $4${where}
        ORDER BY customer_id, meter_id, window_start, event_type, revision`,
      params,
    );
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
  async markCounted(scope: TenantScope, ids: readonly string[]): Promise<number> {
    if (ids.length === 0) return 0;
    const updated: unknown[] = await this.db.query(
      `UPDATE stripe_sync_batches
          SET sync_status = 'completed', stripe_event_id = identifier, completed_at = now(), reconciled_at = now(),
              error_message = NULL, next_attempt_at = NULL, updated_at = now()
        WHERE tenant_id = $1 AND environment_id = $2 AND id = ANY($3::uuid[]) AND sync_status = 'unknown'
        RETURNING id`,
      [scope.tenantId, scope.environmentId, [...ids]],
    );
    return rowCount(updated);
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
        const rows: {
          identifier: string;
          aggregated_quantity: string;
          event_count: string;
          event_name: string;
          provider_customer_id: string;
          sent_value: string;
          value_precision: number;
          meter_event_timestamp: Date;
        }[] = await manager.query(
          `SELECT identifier, aggregated_quantity::text, event_count::text, event_name, provider_customer_id, sent_value::text,
                  value_precision, meter_event_timestamp
             FROM stripe_sync_batches
            WHERE tenant_id = $1 AND environment_id = $2 AND id = $3 AND sync_status = 'unknown'
              AND superseded_identifier IS NULL AND sent_value IS NOT NULL
            FOR UPDATE`,
          [scope.tenantId, scope.environmentId, id],
        );
        const row = rows[0];
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
        await manager.query(
          `UPDATE stripe_sync_batches
              SET superseded_identifier = identifier, identifier = $4, payload_hash = $5, sync_status = 'pending',
                  attempt_count = 0, first_sent_at = NULL, outcome_uncertain = false, error_message = NULL,
                  next_attempt_at = NULL, stripe_event_id = NULL, completed_at = NULL, reconciled_at = now(), updated_at = now()
            WHERE tenant_id = $1 AND environment_id = $2 AND id = $3`,
          [scope.tenantId, scope.environmentId, id, identifier, payloadHash],
        );
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
function lastSentAt(record: DeliveryRecord): Date | null {
  if (record.reconciled_at !== null && record.superseded_identifier === null) return record.first_sent_at;
  return record.completed_at ?? record.stream_accepted_at ?? record.first_sent_at;
}

/** `UPDATE … RETURNING` through TypeORM's `query` answers `[rows, count]` on Postgres (rows alone elsewhere). */
function rowCount(result: unknown[]): number {
  const [rows, count] = result;
  return Array.isArray(rows) && typeof count === 'number' ? rows.length : result.length;
}
