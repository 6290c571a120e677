import type { DataSource, EntityManager } from 'typeorm';
import type { SyncStatus, TenantScope } from '@flexsync/persistence';
import { decimalToScaled, normalizeDecimal } from '../decimal';
import { pushIdentifier } from '../identity';
import {
  emptyReconcileCounts,
  type LedgerWindow,
  type MeasuredSeries,
  type PushRow,
  type ReconcileCounts,
  type RunRef,
  type SeriesKey,
  type SeriesRemainder,
  seriesKeyOf,
  type StripeTarget,
  unvaluedHash,
} from './ledger-rows';
import { commitPushPage, type PushPageCommit, readPushPage } from './push-rows';
import { makeFixedFailuresDue, type PushOutcomes, recordPushOutcomes } from './push-outcomes';
import { readRemainders } from './remainder-store';
import { planSeries, SeriesLedgerRow } from './series-reconciliation';
import { registerSyncWindow } from './window-store';

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
const SERIES_ORDER = `customer_id COLLATE "C", meter_id COLLATE "C", event_type COLLATE "C"`;

/**
 * The write-ahead ledger (`stripe_sync_batches`) and what goes with it. Every write for a tenant+environment runs
 * under one transaction-scoped advisory lock, so overlapping runs (manual + scheduled) never plan or value the same
 * series at once; Stripe calls happen outside the lock. Reconciliation of a window's aggregates lives here; the
 * pusher's reads and commit in `push-rows.ts`, outcomes and the system's own retries in `push-outcomes.ts`.
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

  remainders(manager: EntityManager, scope: TenantScope, keys: readonly SeriesKey[]): Promise<Map<string, SeriesRemainder>> {
    return readRemainders(manager, scope, keys);
  }

  /** A page of the window's pushes in id order after `afterId` (see {@link readPushPage}). */
  pushPage(
    manager: EntityManager,
    params: { scope: TenantScope; window: LedgerWindow; afterId?: string; limit: number; resendCompletedSince?: Date },
  ): Promise<PushRow[]> {
    return readPushPage(manager, params);
  }

  /** The write-ahead commit of a page, before any Stripe call (see {@link commitPushPage}). */
  commitPushes(manager: EntityManager, params: PushPageCommit): Promise<{ reversalIds: string[] }> {
    return commitPushPage(manager, params);
  }

  /** `TrackSyncBatchActivity`'s write (see {@link recordPushOutcomes}). */
  recordOutcomes(scope: TenantScope, outcomes: PushOutcomes): Promise<{ completed: number; failed: number }> {
    return recordPushOutcomes(this.db, scope, outcomes);
  }

  /** Makes due the tenant's failed rows whose cause is fixed (see {@link makeFixedFailuresDue}). */
  dueFixedFailures(scope: TenantScope): Promise<number> {
    return makeFixedFailuresDue(this.db, scope);
  }
}
