import type { DataSource, EntityManager } from 'typeorm';
import { type LedgerSeriesRecord, SyncBatchStore, type TenantScope } from '@flexsync/persistence';
import { decimalToScaled, normalizeDecimal } from '../decimal';
import { pushIdentifier } from '../identity';
import {
  emptyReconcileCounts,
  FIXABLE_FAILURE,
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
import type { PushOutcomes } from './push-outcomes';
import { readRemainders } from './remainder-store';
import { planSeries, SeriesLedgerRow } from './series-reconciliation';
import { registerSyncWindow } from './window-store';

/**
 * The write-ahead ledger (`stripe_sync_batches`) and what goes with it. Every write for a tenant+environment runs
 * under one transaction-scoped advisory lock, so overlapping runs (manual + scheduled) never plan or value the same
 * series at once; Stripe calls happen outside the lock. Reconciliation of a window's aggregates lives here; the
 * pusher's reads and commit in `push-rows.ts`, outcomes and the system's own retries in `push-outcomes.ts`. Every
 * statement on the table is `SyncBatchStore`'s; the ledger decides what to write and holds the lock.
 */
export class SyncLedger {
  private readonly batches: SyncBatchStore;

  constructor(private readonly db: DataSource) {
    this.batches = new SyncBatchStore(db);
  }

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
      const rows: LedgerSeriesRecord[] = await this.batches.seriesRows(manager, scope, window, params);
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

      await this.batches.insertPending(
        manager,
        scope,
        window,
        run,
        inserts.map((row) => ({ ...row, payloadHash: unvaluedHash(row.identifier, row.quantity, row.eventCount) })),
      );
      await this.batches.refreshUnvalued(
        manager,
        scope,
        run,
        refreshes.map((row) => ({ ...row, payloadHash: unvaluedHash(row.identifier, row.quantity, row.eventCount) })),
      );
      await this.batches.rearmFailed(manager, scope, run, rearms);
      await this.batches.withdrawUnvalued(manager, scope, withdrawals);
      return counts;
    });
  }

  private identifier(scope: TenantScope, window: LedgerWindow, key: SeriesKey, revision: number): string {
    return pushIdentifier({ ...scope, ...key, windowStart: window.start, windowEnd: window.end, revision });
  }

  remainders(manager: EntityManager, scope: TenantScope, keys: readonly SeriesKey[]): Promise<Map<string, SeriesRemainder>> {
    return readRemainders(manager, scope, keys);
  }

  /** A page of the window's pushes in id order after `afterId` (see {@link readPushPage}). */
  pushPage(
    manager: EntityManager,
    params: { scope: TenantScope; window: LedgerWindow; afterId?: string; limit: number; resendCompletedSince?: Date },
  ): Promise<PushRow[]> {
    return readPushPage(this.batches, manager, params);
  }

  /** The write-ahead commit of a page, before any Stripe call (see {@link commitPushPage}). */
  commitPushes(manager: EntityManager, params: PushPageCommit): Promise<{ reversalIds: string[] }> {
    return commitPushPage(this.batches, manager, params);
  }

  /**
   * `TrackSyncBatchActivity`'s write, idempotent: a success marks the row completed whatever it said before (Stripe
   * holds the event), except a row a Stripe error report already marked failed (Stripe accepted, then rejected it:
   * the report is the later word, even when it lands before this write); a failure only lands on a row still pending
   * at the attempt that failed, so a stale outcome never overwrites a newer attempt or a success. A failure carries
   * when the system tries again on its own.
   */
  async recordOutcomes(scope: TenantScope, outcomes: PushOutcomes): Promise<{ completed: number; failed: number }> {
    const completed = await this.batches.recordCompleted(scope, outcomes.completed.ids, outcomes.completed.latencyMs);
    const failed = await this.batches.recordFailed(scope, outcomes.failed);
    return { completed, failed };
  }

  /**
   * Makes due now the tenant's failed rows whose blocking cause is gone: a meter or customer mapping that exists
   * (and syncs) now, or a circuit that is closed again after auth errors. The scheduler then visits their windows
   * and the visit re-arms and sends them, without an operator. Reads the mapping-service's tables and the breakers,
   * never writes them; each condition comes from the store of its table (`SyncBatchStore.makeFixedFailuresDue`).
   */
  dueFixedFailures(scope: TenantScope): Promise<number> {
    return this.batches.makeFixedFailuresDue(scope, FIXABLE_FAILURE);
  }
}
