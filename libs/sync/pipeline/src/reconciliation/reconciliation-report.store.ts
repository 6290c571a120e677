import type { DataSource } from 'typeorm';
import type { TenantFigure, TenantScope } from '@flexsync/persistence';
import { RECONCILIATION_STATUS_NAMES, type ReconciliationStatusName, type ReconcileTenantInput } from '@flexsync/sync-contracts';
import { normalizeDecimal } from '../decimal';
import type { ReconciliationReport } from './reconciliation-service';

/** A stored cell as the API lists it (decimals as exact text). */
export interface StoredReconciliationCell {
  customerId: string;
  meterId: string;
  windowStart: string;
  windowEnd: string;
  status: ReconciliationStatusName;
  measuredQuantity: string;
  measuredValue: string | null;
  deliveredValue: string;
  stripeValue: string | null;
  difference: string | null;
  unexplained: string | null;
  unknownRows: number;
  reason: string | null;
  runId: string;
  reconciledAt: string;
}

/** A stored run as the API shows it. */
export interface StoredReconciliationRun {
  id: string;
  trigger: string;
  status: 'completed' | 'failed';
  workflowId: string | null;
  timeFrom: string;
  timeTo: string;
  customerId: string | null;
  meterId: string | null;
  totals: Partial<Record<ReconciliationStatusName, number>>;
  driftUnits: string;
  unknownOutcomes: number;
  settledCompleted: number;
  reidentified: number;
  resendWorkflowId: string | null;
  error: string | null;
  startedAt: string;
  finishedAt: string;
}

export interface CellQuery {
  timeFrom: Date;
  timeTo: Date;
  customerId?: string;
  meterId?: string;
  limit: number;
  /** Keyset position: cells strictly after this one in (window_start, window_end, customer_id, meter_id) order. */
  after?: { windowStart: Date; windowEnd: Date; customerId: string; meterId: string };
}

export interface CellPage {
  cells: StoredReconciliationCell[];
  totals: Record<ReconciliationStatusName, number>;
  /** Σ |difference| over the drift cells of the whole query, not only this page. */
  driftUnits: string;
  hasMore: boolean;
}

/** Runs older than this are dropped when the tenant's next run is recorded: a reconciliation history, not an archive. */
const RUN_RETENTION_DAYS = 90;

interface CellRecord {
  customer_id: string;
  meter_id: string;
  window_start: Date;
  window_end: Date;
  status: ReconciliationStatusName;
  measured_quantity: string;
  measured_value: string | null;
  delivered_value: string;
  stripe_value: string | null;
  difference: string | null;
  unexplained: string | null;
  unknown_rows: number;
  reason: string | null;
  run_id: string;
  reconciled_at: Date;
}

interface RunRecord {
  id: string;
  trigger: string;
  status: 'completed' | 'failed';
  workflow_id: string | null;
  time_from: Date;
  time_to: Date;
  customer_id: string | null;
  meter_id: string | null;
  totals: Partial<Record<ReconciliationStatusName, number>>;
  drift_units: string;
  unknown_outcomes: number;
  settled_completed: number;
  reidentified: number;
  resend_workflow_id: string | null;
  error_message: string | null;
  started_at: Date;
  finished_at: Date;
}

function emptyTotals(): Record<ReconciliationStatusName, number> {
  return Object.fromEntries(RECONCILIATION_STATUS_NAMES.map((status) => [status, 0])) as Record<ReconciliationStatusName, number>;
}

/**
 * `stripe_reconciliation_runs` and `stripe_reconciliation_cells`: the worker records each run and replaces the
 * cells of its range (the newest verdict per customer × meter × window); the orchestrator reads them for the API and
 * the drift gauge. Every statement filters by tenant and environment, but for the drift gauge's deliberate all-tenant
 * read. The other reconciliation gauges read the tables they are about: `SyncBatchStore.unknownOutcomesByTenant`,
 * `SyncWindowStore.deliveryLagByTenant`.
 */
export class ReconciliationReportStore {
  constructor(private readonly db: DataSource) {}

  /** Records a finished run and, in the same transaction, replaces the stored cells of its range with its verdicts. */
  async recordCompleted(
    input: ReconcileTenantInput & { workflowId: string | null },
    report: ReconciliationReport,
    unknownOutcomes: number,
  ): Promise<string> {
    return this.db.transaction(async (manager) => {
      const runs: { id: string }[] = await manager.query(
        `INSERT INTO stripe_reconciliation_runs
           (tenant_id, environment_id, trigger, workflow_id, requested_by, time_from, time_to, customer_id, meter_id, status,
            totals, drift_units, unknown_outcomes, settled_completed, reidentified, windows_to_resend, started_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, 'completed', $10, $11, $12, $13, $14, $15, $16)
         RETURNING id`,
        [
          input.tenantId,
          input.environmentId,
          input.trigger,
          input.workflowId,
          input.requestedBy ?? null,
          report.timeFrom,
          report.timeTo,
          input.customerId ?? null,
          input.meterId ?? null,
          JSON.stringify(report.totals),
          report.driftUnits,
          unknownOutcomes,
          report.settled.completed,
          report.settled.reidentified.length,
          JSON.stringify(report.windowsToResend),
          input.startedAt,
        ],
      );
      const runId = runs[0].id;
      const params: unknown[] = [input.tenantId, input.environmentId, report.timeFrom, report.timeTo];
      let filter = '';
      if (input.customerId !== undefined) {
        params.push(input.customerId);
        filter += ` AND customer_id = $${params.length}`;
      }
      if (input.meterId !== undefined) {
        params.push(input.meterId);
        filter += ` AND meter_id = $${params.length}`;
      }
      await manager.query(
        `DELETE FROM stripe_reconciliation_cells
          WHERE tenant_id = $1 AND environment_id = $2 AND window_start >= $3 AND window_end <= $4${filter}`,
        params,
      );
      // One multi-row insert per chunk keeps a 35-day report of many customers to a few round trips.
      const CHUNK = 500;
      for (let offset = 0; offset < report.cells.length; offset += CHUNK) {
        const chunk = report.cells.slice(offset, offset + CHUNK);
        const values: unknown[] = [input.tenantId, input.environmentId, runId];
        const rows = chunk.map((cell) => {
          const base = values.length;
          values.push(
            cell.windowStart,
            cell.windowEnd,
            cell.customerId,
            cell.meterId,
            cell.status,
            cell.measuredQuantity,
            cell.measuredValue,
            cell.deliveredValue,
            cell.stripeValue,
            cell.difference,
            cell.unexplained,
            cell.unknownRows,
            cell.reason,
          );
          const slots = Array.from({ length: 13 }, (_, index) => `$${base + index + 1}`);
          return `($1, $2, ${slots.join(', ')}, $3)`;
        });
        await manager.query(
          `INSERT INTO stripe_reconciliation_cells
             (tenant_id, environment_id, window_start, window_end, customer_id, meter_id, status, measured_quantity, measured_value,
              delivered_value, stripe_value, difference, unexplained, unknown_rows, reason, run_id)
           VALUES ${rows.join(', ')}
           ON CONFLICT (tenant_id, environment_id, window_start, window_end, customer_id, meter_id) DO UPDATE
             SET status = EXCLUDED.status, measured_quantity = EXCLUDED.measured_quantity, measured_value = EXCLUDED.measured_value,
                 delivered_value = EXCLUDED.delivered_value, stripe_value = EXCLUDED.stripe_value, difference = EXCLUDED.difference,
                 unexplained = EXCLUDED.unexplained, unknown_rows = EXCLUDED.unknown_rows, reason = EXCLUDED.reason,
                 run_id = EXCLUDED.run_id, reconciled_at = now()`,
          values,
        );
      }
      await manager.query(
        `DELETE FROM stripe_reconciliation_runs
          WHERE tenant_id = $1 AND environment_id = $2 AND finished_at < now() - make_interval(days => $3)`,
        [input.tenantId, input.environmentId, RUN_RETENTION_DAYS],
      );
      return runId;
    });
  }

  /** Records a run that could not reconcile (no usable key, open circuit): its cells keep their last verdict. */
  async recordFailed(input: ReconcileTenantInput & { workflowId: string | null }, error: string): Promise<string> {
    const runs: { id: string }[] = await this.db.query(
      `INSERT INTO stripe_reconciliation_runs
         (tenant_id, environment_id, trigger, workflow_id, requested_by, time_from, time_to, customer_id, meter_id, status,
          error_message, started_at)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, 'failed', $10, $11)
       RETURNING id`,
      [
        input.tenantId,
        input.environmentId,
        input.trigger,
        input.workflowId,
        input.requestedBy ?? null,
        input.timeFrom,
        input.timeTo,
        input.customerId ?? null,
        input.meterId ?? null,
        error,
        input.startedAt,
      ],
    );
    return runs[0].id;
  }

  async recordResend(scope: TenantScope, runId: string, resendWorkflowId: string): Promise<void> {
    await this.db.query(
      `UPDATE stripe_reconciliation_runs SET resend_workflow_id = $4 WHERE tenant_id = $1 AND environment_id = $2 AND id = $3`,
      [scope.tenantId, scope.environmentId, runId, resendWorkflowId],
    );
  }

  /** Stored cells of the windows overlapping the range, a page at a time, with totals over the whole query. */
  async cells(scope: TenantScope, query: CellQuery): Promise<CellPage> {
    const params: unknown[] = [scope.tenantId, scope.environmentId, query.timeFrom, query.timeTo];
    let filter = '';
    if (query.customerId !== undefined) {
      params.push(query.customerId);
      filter += ` AND customer_id = $${params.length}`;
    }
    if (query.meterId !== undefined) {
      params.push(query.meterId);
      filter += ` AND meter_id = $${params.length}`;
    }
    // Windows overlapping the range: a range not on window boundaries is widened outwards, as reconciling it is.
    const where = `tenant_id = $1 AND environment_id = $2 AND window_end > $3 AND window_start < $4${filter}`;
    const totalsRows: { status: ReconciliationStatusName; cells: string; drift: string | null }[] = await this.db.query(
      `SELECT status, count(*) AS cells, sum(abs(difference))::text AS drift
         FROM stripe_reconciliation_cells WHERE ${where} GROUP BY status`,
      params,
    );
    const totals = emptyTotals();
    let driftUnits = '0';
    for (const row of totalsRows) {
      totals[row.status] = Number(row.cells);
      if (row.status === 'drift' && row.drift !== null) driftUnits = row.drift;
    }
    const pageParams = [...params];
    let after = '';
    if (query.after !== undefined) {
      pageParams.push(query.after.windowStart, query.after.windowEnd, query.after.customerId, query.after.meterId);
      const n = pageParams.length;
      after = ` AND (window_start, window_end, customer_id, meter_id) > ($${n - 3}, $${n - 2}, $${n - 1}, $${n})`;
    }
    pageParams.push(query.limit + 1);
    const records: CellRecord[] = await this.db.query(
      `SELECT customer_id, meter_id, window_start, window_end, status, measured_quantity::text, measured_value::text,
              delivered_value::text, stripe_value::text, difference::text, unexplained::text, unknown_rows, reason, run_id, reconciled_at
         FROM stripe_reconciliation_cells
        WHERE ${where}${after}
        ORDER BY window_start, window_end, customer_id, meter_id
        LIMIT $${pageParams.length}`,
      pageParams,
    );
    const hasMore = records.length > query.limit;
    return { cells: records.slice(0, query.limit).map(toCell), totals, driftUnits: normalizeDecimal(driftUnits), hasMore };
  }

  /** The newest run whose range overlaps `[from, to)`, or undefined. */
  async latestRun(scope: TenantScope, from: Date, to: Date): Promise<StoredReconciliationRun | undefined> {
    const records: RunRecord[] = await this.db.query(
      `SELECT id, trigger, status, workflow_id, time_from, time_to, customer_id, meter_id, totals, drift_units::text,
              unknown_outcomes, settled_completed, reidentified, resend_workflow_id, error_message, started_at, finished_at
         FROM stripe_reconciliation_runs
        WHERE tenant_id = $1 AND environment_id = $2 AND time_from < $4 AND time_to > $3
        ORDER BY finished_at DESC, id
        LIMIT 1`,
      [scope.tenantId, scope.environmentId, from, to],
    );
    const record = records[0];
    return record === undefined ? undefined : toRun(record);
  }

  /** Σ |difference| over each tenant's current drift cells, the largest first, at most `limit` tenants. */
  async driftByTenant(limit: number): Promise<TenantFigure[]> {
    return this.db.query(
      `SELECT tenant_id, environment_id, sum(abs(difference))::text AS value
         FROM stripe_reconciliation_cells
        WHERE status = 'drift'
        GROUP BY tenant_id, environment_id
        ORDER BY sum(abs(difference)) DESC, tenant_id, environment_id
        LIMIT $1`,
      [limit],
    );
  }
}

function nullableDecimal(value: string | null): string | null {
  return value === null ? null : normalizeDecimal(value);
}

function toCell(record: CellRecord): StoredReconciliationCell {
  return {
    customerId: record.customer_id,
    meterId: record.meter_id,
    windowStart: record.window_start.toISOString(),
    windowEnd: record.window_end.toISOString(),
    status: record.status,
    measuredQuantity: normalizeDecimal(record.measured_quantity),
    measuredValue: nullableDecimal(record.measured_value),
    deliveredValue: normalizeDecimal(record.delivered_value),
    stripeValue: nullableDecimal(record.stripe_value),
    difference: nullableDecimal(record.difference),
    unexplained: nullableDecimal(record.unexplained),
    unknownRows: record.unknown_rows,
    reason: record.reason,
    runId: record.run_id,
    reconciledAt: record.reconciled_at.toISOString(),
  };
}

function toRun(record: RunRecord): StoredReconciliationRun {
  return {
    id: record.id,
    trigger: record.trigger,
    status: record.status,
    workflowId: record.workflow_id,
    timeFrom: record.time_from.toISOString(),
    timeTo: record.time_to.toISOString(),
    customerId: record.customer_id,
    meterId: record.meter_id,
    totals: record.totals,
    driftUnits: normalizeDecimal(record.drift_units),
    unknownOutcomes: record.unknown_outcomes,
    settledCompleted: record.settled_completed,
    reidentified: record.reidentified,
    resendWorkflowId: record.resend_workflow_id,
    error: record.error_message,
    startedAt: record.started_at.toISOString(),
    finishedAt: record.finished_at.toISOString(),
  };
}
