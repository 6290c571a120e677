import type { DataSource, EntityManager } from 'typeorm';
import type { SyncStatus, TenantScope } from '@flexsync/persistence';
import { decimalToScaled, normalizeDecimal } from '../decimal';
import { pushIdentifier } from '../identity';
import {
  emptyReconcileCounts,
  FIXABLE_FAILURE,
  type HeldValue,
  type LedgerWindow,
  type MeasuredSeries,
  type PushRow,
  type ReconcileCounts,
  type RemainderUpdate,
  type ReversalPush,
  type RunRef,
  type SeriesKey,
  type SeriesRemainder,
  seriesKeyOf,
  type StripeTarget,
  unvaluedHash,
  type ValuedPush,
} from './ledger-rows';
import { readRemainders, storeRemainders } from './remainder-store';
import { planSeries, SeriesLedgerRow } from './series-reconciliation';
import { registerSyncWindow } from './window-store';

interface PushRowRecord {
  id: string;
  customer_id: string;
  meter_id: string;
  event_type: string;
  revision: number;
  identifier: string;
  payload_hash: string;
  aggregated_quantity: string;
  event_count: string;
  sent_value: string | null;
  event_name: string | null;
  provider_customer_id: string | null;
  value_precision: number | null;
  event_timestamp: string | null;
  sync_status: SyncStatus;
  attempt_count: number;
  error_message: string | null;
  first_sent_ms: string | null;
  outcome_uncertain: boolean;
  failure_count: number;
  covered_quantity: string | null;
  held: { event_name: string; provider_customer_id: string; value: string; precision: number }[] | null;
  last_revision: number | null;
}

interface SeriesRowRecord {
  id: string;
  customer_id: string;
  meter_id: string;
  event_type: string;
  revision: number;
  aggregated_quantity: string;
  valued: boolean;
  sync_status: SyncStatus;
  sent_value: string | null;
  event_name: string | null;
  provider_customer_id: string | null;
}

/** A recorded failure: when the system itself tries again (absent: it will not on its own). */
export interface RecordedFailure {
  id: string;
  attempt: number;
  error: string;
  latencyMs?: number;
  nextAttemptAt?: string;
  uncertain?: boolean;
}

const SERIES_ORDER = `customer_id COLLATE "C", meter_id COLLATE "C", event_type COLLATE "C"`;

/**
 * The write-ahead ledger (`stripe_sync_batches`) and what goes with it. Every write for a tenant+environment runs
 * under one transaction-scoped advisory lock, so overlapping runs (manual + scheduled) never plan or value the same
 * series at once; Stripe calls happen outside the lock.
 */
export class SyncLedger {
  constructor(private readonly db: DataSource) {}

  async underTenantLock<T>(scope: TenantScope, work: (manager: EntityManager) => Promise<T>): Promise<T> {
    return this.db.transaction(async (manager) => {
      await manager.query(`SELECT pg_advisory_xact_lock(hashtextextended($1, 0))`, [
        `stripe-sync-ledger|${scope.tenantId}|${scope.environmentId}`,
      ]);
      return work(manager);
    });
  }

  /** Records that the window is being synced; refuses one overlapping a synced window of another size. */
  async registerWindow(scope: TenantScope, window: LedgerWindow): Promise<void> {
    await this.underTenantLock(scope, (manager) => registerSyncWindow(manager, scope, window));
  }

  /**
   * Reconciles one page of the window's sorted aggregate stream with the ledger rows whose series fall in
   * `(after, upTo]` (`upTo` absent: to the end). Series in the ledger but missing from the page had their usage
   * removed from ClickHouse: they reconcile against a total of zero.
   */
  async reconcilePage(params: {
    scope: TenantScope;
    window: LedgerWindow;
    customerId?: string;
    measured: readonly MeasuredSeries[];
    after?: SeriesKey;
    upTo?: SeriesKey;
    /** Series to leave alone (meters whose mapping has sync disabled). */
    skip: (key: SeriesKey) => boolean;
    /** The series' Stripe target under today's mappings, when both are mapped. */
    target?: (key: SeriesKey) => StripeTarget | undefined;
    run: RunRef;
  }): Promise<ReconcileCounts> {
    const { scope, window, run } = params;
    return this.underTenantLock(scope, async (manager) => {
      const rows = await this.seriesRows(manager, params);
      const bySeries = new Map<string, { key: SeriesKey; measured?: MeasuredSeries; rows: SeriesLedgerRow[] }>();
      for (const measured of params.measured) bySeries.set(seriesKeyOf(measured), { key: measured, measured, rows: [] });
      for (const row of rows) {
        const key: SeriesKey = { customerId: row.customer_id, meterId: row.meter_id, eventType: row.event_type };
        const entry = bySeries.get(seriesKeyOf(key)) ?? { key, rows: [] };
        entry.rows.push({
          id: row.id,
          revision: row.revision,
          quantity: decimalToScaled(row.aggregated_quantity),
          valued: row.valued,
          status: row.sync_status,
          ...(row.sent_value !== null && row.event_name !== null && row.provider_customer_id !== null
            ? { sent: { eventName: row.event_name, stripeCustomerId: row.provider_customer_id, value: BigInt(row.sent_value) } }
            : {}),
        });
        bySeries.set(seriesKeyOf(key), entry);
      }

      const counts = emptyReconcileCounts();
      const inserts: { key: SeriesKey; revision: number; identifier: string; quantity: string; eventCount: string }[] = [];
      const refreshes: { id: string; identifier: string; quantity: string; eventCount: string }[] = [];
      const withdrawals: string[] = [];
      const rearms: string[] = [];
      for (const { key, measured, rows: ledgerRows } of bySeries.values()) {
        if (params.skip(key)) continue;
        const quantity = measured ? normalizeDecimal(measured.quantity) : '0';
        const eventCount = String(measured?.eventCount ?? 0);
        const plan = planSeries(decimalToScaled(quantity), ledgerRows, params.target?.(key));
        rearms.push(...plan.rearmIds);
        counts.rearmed += plan.rearmIds.length;
        counts.resumed += plan.resumedIds.length;
        if (plan.withdrawId) {
          withdrawals.push(plan.withdrawId);
          counts.withdrawn += 1;
        }
        if (plan.outcome === 'unchanged') {
          counts.unchanged += 1;
          continue;
        }
        counts.armed += 1;
        if (plan.outcome === 'correction') counts.corrections += 1;
        if (plan.refreshId !== undefined) {
          const revision = ledgerRows.find((row) => row.id === plan.refreshId)?.revision ?? 0;
          refreshes.push({ id: plan.refreshId, identifier: this.identifier(scope, window, key, revision), quantity, eventCount });
        } else if (plan.insertRevision !== undefined) {
          const revision = plan.insertRevision;
          inserts.push({ key, revision, identifier: this.identifier(scope, window, key, revision), quantity, eventCount });
        }
      }

      if (inserts.length > 0) {
        await manager.query(
          `INSERT INTO stripe_sync_batches (tenant_id, environment_id, customer_id, meter_id, event_type, window_start, window_end,
                                            revision, identifier, payload_hash, aggregated_quantity, event_count, sync_status,
                                            workflow_id, run_id)
           SELECT $1, $2, u.customer_id, u.meter_id, u.event_type, $3, $4, u.revision, u.identifier, u.payload_hash,
                  u.quantity::numeric, u.event_count::bigint, 'pending', $5, $6
             FROM unnest($7::text[], $8::text[], $9::text[], $10::int[], $11::text[], $12::text[], $13::text[], $14::text[])
                  AS u(customer_id, meter_id, event_type, revision, identifier, payload_hash, quantity, event_count)
           ON CONFLICT (tenant_id, environment_id, identifier) DO NOTHING`,
          [
            scope.tenantId,
            scope.environmentId,
            window.start,
            window.end,
            run.workflowId,
            run.runId,
            inserts.map((row) => row.key.customerId),
            inserts.map((row) => row.key.meterId),
            inserts.map((row) => row.key.eventType),
            inserts.map((row) => row.revision),
            inserts.map((row) => row.identifier),
            inserts.map((row) => unvaluedHash(row.identifier, row.quantity, row.eventCount)),
            inserts.map((row) => row.quantity),
            inserts.map((row) => row.eventCount),
          ],
        );
      }
      if (refreshes.length > 0) {
        await manager.query(
          `UPDATE stripe_sync_batches b
              SET aggregated_quantity = u.quantity::numeric, event_count = u.event_count::bigint, payload_hash = u.payload_hash,
                  sync_status = 'pending', error_message = NULL, next_attempt_at = NULL, workflow_id = $3, run_id = $4,
                  updated_at = now()
             FROM unnest($5::uuid[], $6::text[], $7::text[], $8::text[]) AS u(id, quantity, event_count, payload_hash)
            WHERE b.id = u.id AND b.tenant_id = $1 AND b.environment_id = $2 AND b.sent_value IS NULL`,
          [
            scope.tenantId,
            scope.environmentId,
            run.workflowId,
            run.runId,
            refreshes.map((row) => row.id),
            refreshes.map((row) => row.quantity),
            refreshes.map((row) => row.eventCount),
            refreshes.map((row) => unvaluedHash(row.identifier, row.quantity, row.eventCount)),
          ],
        );
      }
      if (rearms.length > 0) {
        await manager.query(
          // The cause stays until an outcome replaces it: a pending row with attempts and no cause is one whose last
          // call was never answered (a crash after it), which the page planner must tell apart.
          `UPDATE stripe_sync_batches SET sync_status = 'pending', next_attempt_at = NULL, workflow_id = $3, run_id = $4, updated_at = now()
            WHERE tenant_id = $1 AND environment_id = $2 AND id = ANY($5::uuid[]) AND sync_status = 'failed'`,
          [scope.tenantId, scope.environmentId, run.workflowId, run.runId, rearms],
        );
      }
      if (withdrawals.length > 0) {
        await manager.query(
          `DELETE FROM stripe_sync_batches WHERE tenant_id = $1 AND environment_id = $2 AND id = ANY($3::uuid[]) AND sent_value IS NULL`,
          [scope.tenantId, scope.environmentId, withdrawals],
        );
      }
      return counts;
    });
  }

  private identifier(scope: TenantScope, window: LedgerWindow, key: SeriesKey, revision: number): string {
    return pushIdentifier({ ...scope, ...key, windowStart: window.start, windowEnd: window.end, revision });
  }

  private async seriesRows(
    manager: EntityManager,
    params: { scope: TenantScope; window: LedgerWindow; customerId?: string; after?: SeriesKey; upTo?: SeriesKey },
  ): Promise<SeriesRowRecord[]> {
    const values: unknown[] = [params.scope.tenantId, params.scope.environmentId, params.window.start, params.window.end];
    const conditions: string[] = [];
    const bind = (value: unknown): string => {
      values.push(value);
      return `$${values.length}`;
    };
    if (params.customerId !== undefined) conditions.push(`customer_id = ${bind(params.customerId)}`);
    if (params.after) {
      conditions.push(
        `(${SERIES_ORDER}) > (${bind(params.after.customerId)}, ${bind(params.after.meterId)}, ${bind(params.after.eventType)})`,
      );
    }
    if (params.upTo) {
      conditions.push(
        `(${SERIES_ORDER}) <= (${bind(params.upTo.customerId)}, ${bind(params.upTo.meterId)}, ${bind(params.upTo.eventType)})`,
      );
    }
    return manager.query(
      `SELECT id, customer_id, meter_id, event_type, revision, aggregated_quantity::text AS aggregated_quantity,
              sent_value IS NOT NULL AS valued, sync_status, sent_value::text AS sent_value, event_name, provider_customer_id
         FROM stripe_sync_batches
        WHERE tenant_id = $1 AND environment_id = $2 AND window_start = $3 AND window_end = $4
          ${conditions.map((condition) => `AND ${condition}`).join(' ')}
        ORDER BY ${SERIES_ORDER}, revision`,
      values,
    );
  }

  /**
   * A page of the window's pushes in id order after `afterId`: pending rows, plus completed rows acknowledged since
   * `resendCompletedSince` when a forced rerun re-sends them. For unvalued rows, also the quantity the series'
   * valued revisions already cover (what the new value is the difference from).
   */
  async pushPage(
    manager: EntityManager,
    params: { scope: TenantScope; window: LedgerWindow; afterId?: string; limit: number; resendCompletedSince?: Date },
  ): Promise<PushRow[]> {
    // Pending-only pages match the partial index on pending rows exactly (an OR would keep the planner off it).
    const statuses = params.resendCompletedSince
      ? `(b.sync_status = 'pending' OR (b.sync_status = 'completed' AND b.completed_at >= $7))`
      : `b.sync_status = 'pending'`;
    const records: PushRowRecord[] = await manager.query(
      `SELECT b.id, b.customer_id, b.meter_id, b.event_type, b.revision, b.identifier, b.payload_hash,
              b.aggregated_quantity::text AS aggregated_quantity, b.event_count::text AS event_count, b.sent_value::text AS sent_value,
              b.event_name, b.provider_customer_id, b.value_precision,
              extract(epoch FROM b.meter_event_timestamp)::bigint::text AS event_timestamp,
              b.sync_status, b.attempt_count, b.error_message, b.outcome_uncertain, b.failure_count,
              (extract(epoch FROM b.first_sent_at) * 1000)::bigint::text AS first_sent_ms,
              -- "C" equality so the lookup can use every column of the byte-ordered series index.
              CASE WHEN b.sent_value IS NULL THEN (
                SELECT p.aggregated_quantity::text FROM stripe_sync_batches p
                 WHERE p.tenant_id = b.tenant_id AND p.environment_id = b.environment_id
                   AND p.window_start = b.window_start AND p.window_end = b.window_end
                   AND p.customer_id COLLATE "C" = b.customer_id AND p.meter_id COLLATE "C" = b.meter_id
                   AND p.event_type COLLATE "C" = b.event_type
                   AND p.sent_value IS NOT NULL
                 ORDER BY p.revision DESC LIMIT 1) END AS covered_quantity,
              CASE WHEN b.sent_value IS NULL THEN (
                SELECT json_agg(json_build_object('event_name', h.event_name, 'provider_customer_id', h.provider_customer_id,
                                                  'value', h.value::text, 'precision', h.value_precision))
                  FROM (SELECT p.event_name, p.provider_customer_id, p.value_precision, sum(p.sent_value) AS value
                          FROM stripe_sync_batches p
                         WHERE p.tenant_id = b.tenant_id AND p.environment_id = b.environment_id
                           AND p.window_start = b.window_start AND p.window_end = b.window_end
                           AND p.customer_id COLLATE "C" = b.customer_id AND p.meter_id COLLATE "C" = b.meter_id
                           AND p.event_type COLLATE "C" = b.event_type
                           AND p.sent_value IS NOT NULL AND p.event_name IS NOT NULL AND p.provider_customer_id IS NOT NULL
                           AND p.value_precision IS NOT NULL
                         GROUP BY p.event_name, p.provider_customer_id, p.value_precision
                        HAVING sum(p.sent_value) <> 0) h) END AS held,
              CASE WHEN b.sent_value IS NULL THEN (
                SELECT max(p.revision) FROM stripe_sync_batches p
                 WHERE p.tenant_id = b.tenant_id AND p.environment_id = b.environment_id
                   AND p.window_start = b.window_start AND p.window_end = b.window_end
                   AND p.customer_id COLLATE "C" = b.customer_id AND p.meter_id COLLATE "C" = b.meter_id
                   AND p.event_type COLLATE "C" = b.event_type) END AS last_revision
         FROM stripe_sync_batches b
        WHERE b.tenant_id = $1 AND b.environment_id = $2 AND b.window_start = $3 AND b.window_end = $4
          AND ${statuses}
          AND ($5::uuid IS NULL OR b.id > $5::uuid)
        ORDER BY b.id
        LIMIT $6`,
      [
        params.scope.tenantId,
        params.scope.environmentId,
        params.window.start,
        params.window.end,
        params.afterId ?? null,
        params.limit,
        ...(params.resendCompletedSince ? [params.resendCompletedSince] : []),
      ],
    );
    return records.map((record) => ({
      id: record.id,
      customerId: record.customer_id,
      meterId: record.meter_id,
      eventType: record.event_type,
      revision: record.revision,
      identifier: record.identifier,
      payloadHash: record.payload_hash,
      quantity: normalizeDecimal(record.aggregated_quantity),
      eventCount: record.event_count,
      status: record.sync_status,
      attemptCount: record.attempt_count,
      errorMessage: record.error_message,
      firstSentAtMs: record.first_sent_ms === null ? null : Number(record.first_sent_ms),
      outcomeUncertain: record.outcome_uncertain,
      failureCount: record.failure_count,
      coveredQuantity: normalizeDecimal(record.covered_quantity ?? '0'),
      held: (record.held ?? []).map(
        (held): HeldValue => ({
          eventName: held.event_name,
          stripeCustomerId: held.provider_customer_id,
          value: held.value,
          precision: held.precision,
        }),
      ),
      lastRevision: record.last_revision ?? record.revision,
      incomplete:
        record.sent_value !== null &&
        (record.event_name === null ||
          record.provider_customer_id === null ||
          record.value_precision === null ||
          record.event_timestamp === null),
      ...(record.sent_value !== null &&
      record.event_name !== null &&
      record.provider_customer_id !== null &&
      record.value_precision !== null &&
      record.event_timestamp !== null
        ? {
            frozen: {
              eventName: record.event_name,
              stripeCustomerId: record.provider_customer_id,
              value: record.sent_value,
              precision: record.value_precision,
              timestamp: Number(record.event_timestamp),
            },
          }
        : {}),
    }));
  }

  remainders(manager: EntityManager, scope: TenantScope, keys: readonly SeriesKey[]): Promise<Map<string, SeriesRemainder>> {
    return readRemainders(manager, scope, keys);
  }

  /**
   * The write-ahead commit of a page, before any Stripe call: freezes the meter event of each newly valued row,
   * inserts the reversals that move series off targets they no longer have, counts an attempt on every row about
   * to be sent (stamping its first send), marks the rows that may not be re-sent `unknown`, and stores the series'
   * new remainders.
   */
  async commitPushes(
    manager: EntityManager,
    params: {
      scope: TenantScope;
      window: LedgerWindow;
      valued: readonly ValuedPush[];
      reversals: readonly ReversalPush[];
      /** Frozen rows about to be sent again; `uncertain` ones had a call that was never answered. */
      attempts: readonly { id: string; uncertain: boolean }[];
      unknown: readonly { id: string; error: string }[];
      remainders: readonly RemainderUpdate[];
      nowMs: number;
      run: RunRef;
    },
  ): Promise<{ reversalIds: string[] }> {
    const { scope, valued, run } = params;
    const sentAt = new Date(params.nowMs);
    if (valued.length > 0) {
      await manager.query(
        `UPDATE stripe_sync_batches b
            SET sent_value = u.value::bigint, event_name = u.event_name, provider_customer_id = u.customer,
                value_precision = u.precision, meter_event_timestamp = to_timestamp(u.ts), payload_hash = u.payload_hash,
                attempt_count = b.attempt_count + 1, first_sent_at = COALESCE(b.first_sent_at, $12), workflow_id = $3,
                run_id = $4, updated_at = now()
           FROM unnest($5::uuid[], $6::text[], $7::text[], $8::text[], $9::int[], $10::bigint[], $11::text[])
                AS u(id, value, event_name, customer, precision, ts, payload_hash)
          WHERE b.id = u.id AND b.tenant_id = $1 AND b.environment_id = $2 AND b.sent_value IS NULL`,
        [
          scope.tenantId,
          scope.environmentId,
          run.workflowId,
          run.runId,
          valued.map((row) => row.id),
          valued.map((row) => row.event.value),
          valued.map((row) => row.event.eventName),
          valued.map((row) => row.event.stripeCustomerId),
          valued.map((row) => row.event.precision),
          valued.map((row) => String(row.event.timestamp)),
          valued.map((row) => row.payloadHash),
          sentAt,
        ],
      );
    }
    let reversalIds: string[] = [];
    if (params.reversals.length > 0) {
      const reversals = params.reversals;
      const inserted: { id: string; identifier: string }[] = await manager.query(
        `INSERT INTO stripe_sync_batches (tenant_id, environment_id, customer_id, meter_id, event_type, window_start, window_end,
                                          revision, identifier, payload_hash, aggregated_quantity, event_count, sent_value,
                                          event_name, provider_customer_id, value_precision, meter_event_timestamp,
                                          sync_status, attempt_count, first_sent_at, workflow_id, run_id)
         SELECT $1, $2, u.customer_id, u.meter_id, u.event_type, $3, $4, u.revision, u.identifier, u.payload_hash,
                u.quantity::numeric, u.event_count::bigint, u.value::bigint, u.event_name, u.customer, u.precision,
                to_timestamp(u.ts), 'pending', 1, $5, $6, $7
           FROM unnest($8::text[], $9::text[], $10::text[], $11::int[], $12::text[], $13::text[], $14::text[], $15::text[],
                       $16::text[], $17::text[], $18::text[], $19::int[], $20::bigint[])
                AS u(customer_id, meter_id, event_type, revision, identifier, payload_hash, quantity, event_count, value,
                     event_name, customer, precision, ts)
         RETURNING id, identifier`,
        [
          scope.tenantId,
          scope.environmentId,
          params.window.start,
          params.window.end,
          sentAt,
          run.workflowId,
          run.runId,
          reversals.map((row) => row.customerId),
          reversals.map((row) => row.meterId),
          reversals.map((row) => row.eventType),
          reversals.map((row) => row.revision),
          reversals.map((row) => row.identifier),
          reversals.map((row) => row.payloadHash),
          reversals.map((row) => row.quantity),
          reversals.map((row) => row.eventCount),
          reversals.map((row) => row.event.value),
          reversals.map((row) => row.event.eventName),
          reversals.map((row) => row.event.stripeCustomerId),
          reversals.map((row) => row.event.precision),
          reversals.map((row) => String(row.event.timestamp)),
        ],
      );
      const ids = new Map(inserted.map((row) => [row.identifier, row.id]));
      reversalIds = reversals.map((row) => ids.get(row.identifier) ?? '');
    }
    if (params.attempts.length > 0) {
      await manager.query(
        `UPDATE stripe_sync_batches b
            SET attempt_count = b.attempt_count + 1, first_sent_at = COALESCE(b.first_sent_at, $5),
                outcome_uncertain = b.outcome_uncertain OR u.uncertain, workflow_id = $3, run_id = $4, updated_at = now()
           FROM unnest($6::uuid[], $7::boolean[]) AS u(id, uncertain)
          WHERE b.id = u.id AND b.tenant_id = $1 AND b.environment_id = $2 AND b.sync_status = 'pending'`,
        [
          scope.tenantId,
          scope.environmentId,
          run.workflowId,
          run.runId,
          sentAt,
          params.attempts.map((row) => row.id),
          params.attempts.map((row) => row.uncertain),
        ],
      );
    }
    if (params.unknown.length > 0) {
      await manager.query(
        `UPDATE stripe_sync_batches b
            SET sync_status = 'unknown', outcome_uncertain = true, next_attempt_at = NULL, error_message = u.error,
                workflow_id = $3, run_id = $4, updated_at = now()
           FROM unnest($5::uuid[], $6::text[]) AS u(id, error)
          WHERE b.id = u.id AND b.tenant_id = $1 AND b.environment_id = $2 AND b.sync_status = 'pending'`,
        [
          scope.tenantId,
          scope.environmentId,
          run.workflowId,
          run.runId,
          params.unknown.map((row) => row.id),
          params.unknown.map((row) => row.error),
        ],
      );
    }
    await storeRemainders(manager, scope, params.remainders);
    return { reversalIds };
  }

  /**
   * `TrackSyncBatchActivity`'s write, idempotent: a success marks the row completed whatever it said before (Stripe
   * holds the event); a failure only lands on a row still pending at the attempt that failed, so a stale outcome
   * never overwrites a newer attempt or a success. A failure carries when the system tries again on its own.
   */
  async recordOutcomes(
    scope: TenantScope,
    outcomes: {
      completed: { ids: readonly string[]; latencyMs: readonly number[] };
      failed: readonly RecordedFailure[];
    },
  ): Promise<{ completed: number; failed: number }> {
    let completed = 0;
    let failed = 0;
    if (outcomes.completed.ids.length > 0) {
      const result: [unknown[], number] = await this.db.query(
        `UPDATE stripe_sync_batches b
            SET sync_status = 'completed', stripe_event_id = b.identifier, error_message = NULL, next_attempt_at = NULL,
                latency_ms = u.latency_ms, completed_at = now(), updated_at = now()
           FROM unnest($3::uuid[], $4::int[]) AS u(id, latency_ms)
          WHERE b.id = u.id AND b.tenant_id = $1 AND b.environment_id = $2 AND b.sync_status <> 'completed'`,
        [scope.tenantId, scope.environmentId, outcomes.completed.ids, outcomes.completed.latencyMs.map((ms) => Math.round(ms))],
      );
      completed = result[1];
    }
    if (outcomes.failed.length > 0) {
      const result: [unknown[], number] = await this.db.query(
        `UPDATE stripe_sync_batches b
            SET sync_status = 'failed', error_message = u.error, latency_ms = u.latency_ms, next_attempt_at = u.next_attempt_at,
                failure_count = b.failure_count + 1, outcome_uncertain = b.outcome_uncertain OR u.uncertain, updated_at = now()
           FROM unnest($3::uuid[], $4::int[], $5::text[], $6::int[], $7::timestamptz[], $8::boolean[])
                AS u(id, attempt, error, latency_ms, next_attempt_at, uncertain)
          WHERE b.id = u.id AND b.tenant_id = $1 AND b.environment_id = $2 AND b.sync_status = 'pending' AND b.attempt_count = u.attempt`,
        [
          scope.tenantId,
          scope.environmentId,
          outcomes.failed.map((row) => row.id),
          outcomes.failed.map((row) => row.attempt),
          outcomes.failed.map((row) => row.error),
          outcomes.failed.map((row) => (row.latencyMs === undefined ? null : Math.round(row.latencyMs))),
          outcomes.failed.map((row) => row.nextAttemptAt ?? null),
          outcomes.failed.map((row) => row.uncertain === true),
        ],
      );
      failed = result[1];
    }
    return { completed, failed };
  }

  /**
   * Makes due now the tenant's failed rows whose blocking cause is gone: a meter or customer mapping that exists
   * (and syncs) now, or a circuit that is closed again after auth errors. The scheduler then visits their windows
   * and the visit re-arms and sends them, without an operator. Reads the mapping-service's tables, never writes them.
   */
  async dueFixedFailures(scope: TenantScope): Promise<number> {
    const result: [unknown[], number] = await this.db.query(
      `UPDATE stripe_sync_batches b SET next_attempt_at = now(), updated_at = now()
        WHERE b.tenant_id = $1 AND b.environment_id = $2 AND b.sync_status = 'failed' AND b.next_attempt_at > now()
          AND (
            (b.error_message IN ($3, $4) AND EXISTS (
               SELECT 1 FROM meter_provider_mappings m
                WHERE m.tenant_id = b.tenant_id AND m.environment_id = b.environment_id AND m.provider_type = 'stripe'
                  AND m.meter_id = b.meter_id AND m.sync_enabled))
            OR (b.error_message = $5 AND EXISTS (
               SELECT 1 FROM customer_integration_mappings c
                WHERE c.tenant_id = b.tenant_id AND c.environment_id = b.environment_id AND c.provider_type = 'stripe'
                  AND c.customer_id = b.customer_id AND c.status = 'mapped'))
            OR (b.error_message LIKE 'auth error%' AND NOT EXISTS (
               SELECT 1 FROM stripe_circuit_breakers s
                WHERE s.tenant_id = b.tenant_id AND s.environment_id = b.environment_id AND s.state <> 'closed')))`,
      [scope.tenantId, scope.environmentId, FIXABLE_FAILURE.meterNotFound, FIXABLE_FAILURE.meterDisabled, FIXABLE_FAILURE.customerNotFound],
    );
    return result[1];
  }
}
