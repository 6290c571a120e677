import type { DataSource, EntityManager } from 'typeorm';
import type { SyncStatus, TenantScope } from '@flexsync/persistence';
import { decimalToScaled, normalizeDecimal } from '../decimal';
import { ledgerPayloadHash, pushIdentifier } from '../identity';
import { planSeries, SeriesLedgerRow } from './series-reconciliation';

export interface LedgerWindow {
  start: Date;
  end: Date;
}

export interface SeriesKey {
  customerId: string;
  meterId: string;
  eventType: string;
}

/** One ClickHouse aggregate of the window. */
export interface MeasuredSeries extends SeriesKey {
  /** Exact decimal. */
  quantity: string;
  eventCount: number;
}

/** The Temporal run acting on the ledger, recorded on the rows it touches. */
export interface RunRef {
  workflowId: string | null;
  runId: string | null;
}

export interface ReconcileCounts {
  armed: number;
  corrections: number;
  rearmed: number;
  resumed: number;
  unchanged: number;
  withdrawn: number;
}

export function emptyReconcileCounts(): ReconcileCounts {
  return { armed: 0, corrections: 0, rearmed: 0, resumed: 0, unchanged: 0, withdrawn: 0 };
}

/** Raised when a window overlaps an already-synced window of another size. */
export class WindowConflictError extends Error {
  constructor(window: LedgerWindow, existing: LedgerWindow) {
    super(
      `window ${window.start.toISOString()}..${window.end.toISOString()} overlaps the already-synced window ` +
        `${existing.start.toISOString()}..${existing.end.toISOString()}; syncing it could send the same usage twice ` +
        `(was aggregation_window_minutes changed?)`,
    );
    this.name = 'WindowConflictError';
  }
}

/** A pending (or, for a forced rerun, completed) push as the pusher reads it. */
export interface PushRow extends SeriesKey {
  id: string;
  revision: number;
  identifier: string;
  payloadHash: string;
  /** The window's measured total as of this revision (normalized decimal). */
  quantity: string;
  eventCount: string;
  status: SyncStatus;
  attemptCount: number;
  /** The meter event frozen when the row was valued; absent while unvalued. */
  frozen?: FrozenMeterEvent;
  /** Has a value but not the meter event it was sent as (written outside the worker): never sent. */
  incomplete: boolean;
  /** For unvalued rows: the quantity the series' valued revisions already cover in this window. */
  coveredQuantity: string;
}

export interface FrozenMeterEvent {
  eventName: string;
  stripeCustomerId: string;
  value: string;
  precision: number;
  /** Unix seconds. */
  timestamp: number;
}

export interface ValuedPush {
  id: string;
  payloadHash: string;
  event: FrozenMeterEvent;
}

export interface SeriesRemainder {
  precision: number;
  remainder: string;
}

export interface RemainderUpdate extends SeriesKey, SeriesRemainder {}

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
  covered_quantity: string | null;
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
}

const SERIES_ORDER = `customer_id COLLATE "C", meter_id COLLATE "C", event_type COLLATE "C"`;

export function seriesKeyOf(key: SeriesKey): string {
  return `${key.customerId}\u0000${key.meterId}\u0000${key.eventType}`;
}

/** Byte-wise comparison, the order of both ClickHouse's `ORDER BY` on Strings and Postgres' "C" collation. */
export function compareSeries(a: SeriesKey, b: SeriesKey): number {
  return Buffer.compare(Buffer.from(seriesKeyOf(a), 'utf8'), Buffer.from(seriesKeyOf(b), 'utf8'));
}

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

  /**
   * Records that the window is being synced; refuses a window that overlaps an already-synced window of another
   * size, because its usage may already be in Stripe under the other window's identities. (Windows are aligned to
   * the tenant's `aggregation_window_minutes`; this catches a change of that setting across already-synced time.)
   */
  async registerWindow(scope: TenantScope, window: LedgerWindow): Promise<void> {
    await this.underTenantLock(scope, async (manager) => {
      // Only windows that hold ledger rows count: an empty window of the old size sent nothing that could repeat.
      const overlapping: { window_start: Date; window_end: Date }[] = await manager.query(
        `SELECT w.window_start, w.window_end FROM stripe_sync_windows w
          WHERE w.tenant_id = $1 AND w.environment_id = $2
            AND w.window_start < $4 AND w.window_end > $3
            AND NOT (w.window_start = $3 AND w.window_end = $4)
            AND EXISTS (SELECT 1 FROM stripe_sync_batches b
                         WHERE b.tenant_id = w.tenant_id AND b.environment_id = w.environment_id
                           AND b.window_start = w.window_start AND b.window_end = w.window_end)
          ORDER BY w.window_start LIMIT 1`,
        [scope.tenantId, scope.environmentId, window.start, window.end],
      );
      if (overlapping.length > 0) {
        throw new WindowConflictError(window, { start: overlapping[0].window_start, end: overlapping[0].window_end });
      }
      await manager.query(
        `INSERT INTO stripe_sync_windows (tenant_id, environment_id, window_start, window_end) VALUES ($1, $2, $3, $4)
         ON CONFLICT (tenant_id, environment_id, window_start, window_end) DO UPDATE SET updated_at = now()`,
        [scope.tenantId, scope.environmentId, window.start, window.end],
      );
    });
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
        const plan = planSeries(decimalToScaled(quantity), ledgerRows);
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
                  sync_status = 'pending', error_message = NULL, workflow_id = $3, run_id = $4, updated_at = now()
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
          `UPDATE stripe_sync_batches SET sync_status = 'pending', error_message = NULL, workflow_id = $3, run_id = $4, updated_at = now()
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
              sent_value IS NOT NULL AS valued, sync_status
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
              b.sync_status, b.attempt_count,
              -- "C" equality so the lookup can use every column of the byte-ordered series index.
              CASE WHEN b.sent_value IS NULL THEN (
                SELECT p.aggregated_quantity::text FROM stripe_sync_batches p
                 WHERE p.tenant_id = b.tenant_id AND p.environment_id = b.environment_id
                   AND p.window_start = b.window_start AND p.window_end = b.window_end
                   AND p.customer_id COLLATE "C" = b.customer_id AND p.meter_id COLLATE "C" = b.meter_id
                   AND p.event_type COLLATE "C" = b.event_type
                   AND p.sent_value IS NOT NULL
                 ORDER BY p.revision DESC LIMIT 1) END AS covered_quantity
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
      coveredQuantity: normalizeDecimal(record.covered_quantity ?? '0'),
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

  async remainders(manager: EntityManager, scope: TenantScope, keys: readonly SeriesKey[]): Promise<Map<string, SeriesRemainder>> {
    if (keys.length === 0) return new Map();
    const rows: (SeriesKey & { precision: number; remainder: string })[] = await manager.query(
      `SELECT r.customer_id AS "customerId", r.meter_id AS "meterId", r.event_type AS "eventType",
              r.value_precision AS precision, r.remainder::text AS remainder
         FROM stripe_sync_value_remainders r
         JOIN unnest($3::text[], $4::text[], $5::text[]) AS k(customer_id, meter_id, event_type)
           ON r.customer_id = k.customer_id AND r.meter_id = k.meter_id AND r.event_type = k.event_type
        WHERE r.tenant_id = $1 AND r.environment_id = $2`,
      [scope.tenantId, scope.environmentId, keys.map((k) => k.customerId), keys.map((k) => k.meterId), keys.map((k) => k.eventType)],
    );
    return new Map(rows.map((row) => [seriesKeyOf(row), { precision: row.precision, remainder: normalizeDecimal(row.remainder) }]));
  }

  /**
   * The write-ahead commit of a page, before any Stripe call: freezes the meter event of each newly valued row,
   * counts an attempt on every row about to be sent, and stores the series' new remainders.
   */
  async commitPushes(
    manager: EntityManager,
    params: {
      scope: TenantScope;
      valued: readonly ValuedPush[];
      /** Frozen rows about to be sent again. */
      attemptIds: readonly string[];
      remainders: readonly RemainderUpdate[];
      run: RunRef;
    },
  ): Promise<void> {
    const { scope, valued, run } = params;
    if (valued.length > 0) {
      await manager.query(
        `UPDATE stripe_sync_batches b
            SET sent_value = u.value::bigint, event_name = u.event_name, provider_customer_id = u.customer,
                value_precision = u.precision, meter_event_timestamp = to_timestamp(u.ts), payload_hash = u.payload_hash,
                attempt_count = b.attempt_count + 1, workflow_id = $3, run_id = $4, updated_at = now()
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
        ],
      );
    }
    if (params.attemptIds.length > 0) {
      await manager.query(
        `UPDATE stripe_sync_batches SET attempt_count = attempt_count + 1, workflow_id = $3, run_id = $4, updated_at = now()
          WHERE tenant_id = $1 AND environment_id = $2 AND id = ANY($5::uuid[]) AND sync_status = 'pending'`,
        [scope.tenantId, scope.environmentId, run.workflowId, run.runId, params.attemptIds],
      );
    }
    if (params.remainders.length > 0) {
      await manager.query(
        `INSERT INTO stripe_sync_value_remainders (tenant_id, environment_id, customer_id, meter_id, event_type, value_precision, remainder)
         SELECT $1, $2, u.customer_id, u.meter_id, u.event_type, u.precision, u.remainder::numeric
           FROM unnest($3::text[], $4::text[], $5::text[], $6::int[], $7::text[]) AS u(customer_id, meter_id, event_type, precision, remainder)
         ON CONFLICT (tenant_id, environment_id, customer_id, meter_id, event_type)
         DO UPDATE SET value_precision = EXCLUDED.value_precision, remainder = EXCLUDED.remainder, updated_at = now()`,
        [
          scope.tenantId,
          scope.environmentId,
          params.remainders.map((r) => r.customerId),
          params.remainders.map((r) => r.meterId),
          params.remainders.map((r) => r.eventType),
          params.remainders.map((r) => r.precision),
          params.remainders.map((r) => r.remainder),
        ],
      );
    }
  }

  /**
   * `TrackSyncBatchActivity`'s write, idempotent: a success marks the row completed whatever it said before (Stripe
   * holds the event); a failure only lands on a row still pending at the attempt that failed, so a stale outcome
   * never overwrites a newer attempt or a success.
   */
  async recordOutcomes(
    scope: TenantScope,
    outcomes: {
      completed: { ids: readonly string[]; latencyMs: readonly number[] };
      failed: readonly { id: string; attempt: number; error: string; latencyMs?: number }[];
    },
  ): Promise<{ completed: number; failed: number }> {
    let completed = 0;
    let failed = 0;
    if (outcomes.completed.ids.length > 0) {
      const result: [unknown[], number] = await this.db.query(
        `UPDATE stripe_sync_batches b
            SET sync_status = 'completed', stripe_event_id = b.identifier, error_message = NULL, latency_ms = u.latency_ms,
                completed_at = now(), updated_at = now()
           FROM unnest($3::uuid[], $4::int[]) AS u(id, latency_ms)
          WHERE b.id = u.id AND b.tenant_id = $1 AND b.environment_id = $2 AND b.sync_status <> 'completed'`,
        [scope.tenantId, scope.environmentId, outcomes.completed.ids, outcomes.completed.latencyMs.map((ms) => Math.round(ms))],
      );
      completed = result[1];
    }
    if (outcomes.failed.length > 0) {
      const result: [unknown[], number] = await this.db.query(
        `UPDATE stripe_sync_batches b
            SET sync_status = 'failed', error_message = u.error, latency_ms = u.latency_ms, updated_at = now()
           FROM unnest($3::uuid[], $4::int[], $5::text[], $6::int[]) AS u(id, attempt, error, latency_ms)
          WHERE b.id = u.id AND b.tenant_id = $1 AND b.environment_id = $2 AND b.sync_status = 'pending' AND b.attempt_count = u.attempt`,
        [
          scope.tenantId,
          scope.environmentId,
          outcomes.failed.map((row) => row.id),
          outcomes.failed.map((row) => row.attempt),
          outcomes.failed.map((row) => row.error),
          outcomes.failed.map((row) => (row.latencyMs === undefined ? null : Math.round(row.latencyMs))),
        ],
      );
      failed = result[1];
    }
    return { completed, failed };
  }
}

/** The hash of a row not yet valued: its identity and measured totals (the Stripe fields are still unknown). */
export function unvaluedHash(identifier: string, quantity: string, eventCount: string): string {
  return ledgerPayloadHash({
    identifier,
    aggregatedQuantity: quantity,
    eventCount,
    eventName: null,
    stripeCustomerId: null,
    value: null,
    valuePrecision: null,
    timestamp: null,
  });
}
