import type { DataSource, DeepPartial } from 'typeorm';
import type { TenantScope } from '../entities/tenant-scoped';
import { OPEN_LEDGER_ROW } from '../sync-windows/sync-window.store';
import { StripeSyncBatch, type SyncStatus } from './stripe-sync-batch.entity';

export interface SyncBatchFilter {
  status?: SyncStatus;
  windowStart?: Date;
  customerId?: string;
  limit: number;
  /** Keyset position: rows strictly older than (createdAt, id); `createdAt` at Postgres' microsecond precision. */
  after?: { createdAt: string; id: string };
}

export interface SyncBatchPage {
  rows: StripeSyncBatch[];
  /** Where the next page starts (the last row's `created_at` as `YYYY-MM-DDTHH:MM:SS.ffffffZ`, and id); absent on the last page. */
  next?: { createdAt: string; id: string };
}

/** Rows by status, and the average latency of the completed ones (null when none). */
export interface SyncStatusCounts {
  counts: Record<SyncStatus, number>;
  averageLatencyMs: number | null;
}

/** Rows a workflow armed, by status, and the latest window start they reached. */
export interface WorkflowLedgerProgress {
  counts: Record<SyncStatus, number>;
  latestWindowStart: Date | undefined;
}

/** A per tenant+environment figure of the cross-tenant gauges, as Postgres renders it (text). */
export interface TenantLedgerFigure {
  tenant_id: string;
  environment_id: string;
  value: string;
}

export interface UndeliveredTenants {
  /** Tenant environments with a closed window holding a row not completed (all of them). */
  total: number;
  /** At most `limit` of them, the stalest first: seconds since the end of their oldest such window. */
  rows: { tenant_id: string; environment_id: string; age_seconds: string }[];
}

function emptyCounts(): Record<SyncStatus, number> {
  return { pending: 0, completed: 0, failed: 0, unknown: 0, validating: 0 };
}

/** `created_at` at full precision, in UTC, independent of the session's TimeZone. */
const CREATED_AT_KEY = `to_char(created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"')`;

/**
 * `stripe_sync_batches` (entity `StripeSyncBatch`), the write-ahead ledger: the reads the orchestrator (status API,
 * batch listing, manual-sync progress, scrape-time gauges), coverage and reconciliation's gauges make of it. The
 * worker's ledger writes (`SyncLedger`, push pages, outcomes, reconciliation's settlements, meter error reports and
 * the v2 stream's validation) still hold their own statements in `@flexsync/sync-pipeline`.
 *
 * Raw SQL throughout, because most reads are aggregates (`count(*) … GROUP BY`, `avg … FILTER`, window functions) and
 * the listing pages by a row-value keyset at microsecond precision, which the repository API cannot say; rows the API
 * shows whole are read by column name and built into entities ({@link toEntities}). Every read is scoped to one
 * tenant+environment, except the gauges' reads, which are cross-tenant on purpose (one scrape reports every tenant)
 * and return only tenant ids and counts.
 */
export class SyncBatchStore {
  constructor(private readonly db: DataSource) {}

  /** Rows updated since `since`, by status, and the average latency of the completed ones. */
  async countsSince(scope: TenantScope, since: Date): Promise<SyncStatusCounts> {
    const rows: { sync_status: SyncStatus; n: string; avg_latency: string | null }[] = await this.db.query(
      `SELECT sync_status, count(*) AS n, avg(latency_ms) FILTER (WHERE sync_status = 'completed') AS avg_latency
         FROM stripe_sync_batches
        WHERE tenant_id = $1 AND environment_id = $2 AND updated_at >= $3
        GROUP BY sync_status`,
      [scope.tenantId, scope.environmentId, since],
    );
    const counts = emptyCounts();
    let averageLatencyMs: number | null = null;
    for (const row of rows) {
      counts[row.sync_status] = Number(row.n);
      if (row.sync_status === 'completed' && row.avg_latency !== null) averageLatencyMs = Math.round(Number(row.avg_latency));
    }
    return { counts, averageLatencyMs };
  }

  /** A page of rows, newest first (by `created_at`, then id), after the keyset position `filter.after`. */
  async page(scope: TenantScope, filter: SyncBatchFilter): Promise<SyncBatchPage> {
    const params: unknown[] = [scope.tenantId, scope.environmentId];
    const bind = (value: unknown): string => {
      params.push(value);
      return `$${params.length}`;
    };
    let where = 'tenant_id = $1 AND environment_id = $2';
    if (filter.status) where += ` AND sync_status = ${bind(filter.status)}`;
    if (filter.windowStart) where += ` AND window_start = ${bind(filter.windowStart)}`;
    if (filter.customerId) where += ` AND customer_id = ${bind(filter.customerId)}`;
    if (filter.after) {
      where += ` AND (created_at, id) < (CAST(${bind(filter.after.createdAt)} AS timestamptz), CAST(${bind(filter.after.id)} AS uuid))`;
    }
    // One row more than asked tells whether another page exists.
    const records: Record<string, unknown>[] = await this.db.query(
      `SELECT ${this.entityColumns()}, ${CREATED_AT_KEY} AS cursor_created_at
         FROM stripe_sync_batches
        WHERE ${where}
        ORDER BY created_at DESC, id DESC
        LIMIT ${bind(filter.limit + 1)}`,
      params,
    );
    const rows = this.toEntities(records.slice(0, filter.limit));
    if (records.length <= filter.limit) return { rows };
    const last = records[filter.limit - 1];
    return { rows, next: { createdAt: String(last.cursor_created_at), id: String(last.id) } };
  }

  /** The row with `id`, or undefined (also for a row of another tenant+environment). */
  async find(scope: TenantScope, id: string): Promise<StripeSyncBatch | undefined> {
    const records: Record<string, unknown>[] = await this.db.query(
      `SELECT ${this.entityColumns()} FROM stripe_sync_batches WHERE id = $3 AND tenant_id = $1 AND environment_id = $2`,
      [scope.tenantId, scope.environmentId, id],
    );
    return this.toEntities(records)[0];
  }

  /** The rows a workflow armed, by status, and the latest window start among them. */
  async workflowProgress(scope: TenantScope, workflowId: string): Promise<WorkflowLedgerProgress> {
    const rows: { sync_status: SyncStatus; n: string; latest: Date | null }[] = await this.db.query(
      `SELECT sync_status, count(*) AS n, max(window_start) AS latest FROM stripe_sync_batches
        WHERE tenant_id = $1 AND environment_id = $2 AND workflow_id = $3
        GROUP BY sync_status`,
      [scope.tenantId, scope.environmentId, workflowId],
    );
    const counts = emptyCounts();
    let latest: number | undefined;
    for (const row of rows) {
      counts[row.sync_status] = Number(row.n);
      if (row.latest) latest = Math.max(latest ?? 0, row.latest.getTime());
    }
    return { counts, latestWindowStart: latest === undefined ? undefined : new Date(latest) };
  }

  /** Windows ending after `after` that hold a row still to push ({@link OPEN_LEDGER_ROW}). */
  openWindows(scope: TenantScope, after: Date): Promise<{ window_start: Date; window_end: Date }[]> {
    return this.db.query(
      `SELECT DISTINCT window_start, window_end FROM stripe_sync_batches
        WHERE tenant_id = $1 AND environment_id = $2 AND window_end > $3
          AND (${OPEN_LEDGER_ROW})`,
      [scope.tenantId, scope.environmentId, after],
    );
  }

  /** Cross-tenant (gauge): rows not completed, by status, over every tenant. */
  async backlogByStatus(): Promise<Map<string, number>> {
    const rows: { sync_status: string; rows: string }[] = await this.db.query(
      `SELECT sync_status, count(*) AS rows FROM stripe_sync_batches WHERE sync_status <> 'completed' GROUP BY sync_status`,
    );
    return new Map(rows.map((row) => [row.sync_status, Number(row.rows)]));
  }

  /** Cross-tenant (gauge): tenants with a closed window holding a row not completed, the stalest first. */
  async undeliveredTenants(limit: number): Promise<UndeliveredTenants> {
    const rows: { tenant_id: string; environment_id: string; age_seconds: string; total: string }[] = await this.db.query(
      `SELECT tenant_id, environment_id, EXTRACT(EPOCH FROM now() - min(window_end)) AS age_seconds, count(*) OVER () AS total
         FROM stripe_sync_batches
        WHERE sync_status <> 'completed' AND window_end <= now()
        GROUP BY tenant_id, environment_id
        ORDER BY min(window_end), tenant_id, environment_id
        LIMIT $1`,
      [limit],
    );
    return {
      total: rows.length ? Number(rows[0].total) : 0,
      rows: rows.map((row) => ({ tenant_id: row.tenant_id, environment_id: row.environment_id, age_seconds: row.age_seconds })),
    };
  }

  /** Cross-tenant (gauge): rows in an unknown outcome per tenant, the most first, at most `limit` tenants. */
  unknownOutcomesByTenant(limit: number): Promise<TenantLedgerFigure[]> {
    return this.db.query(
      `SELECT tenant_id, environment_id, count(*)::text AS value
         FROM stripe_sync_batches
        WHERE sync_status = 'unknown'
        GROUP BY tenant_id, environment_id
        ORDER BY count(*) DESC, tenant_id, environment_id
        LIMIT $1`,
      [limit],
    );
  }

  /** Every column of the entity, named by its property, so a row reads back as the entity TypeORM would build. */
  private entityColumns(): string {
    return this.db
      .getMetadata(StripeSyncBatch)
      .columns.map((column) => `${column.databaseName} AS "${column.propertyName}"`)
      .join(', ');
  }

  private toEntities(records: Record<string, unknown>[]): StripeSyncBatch[] {
    const repository = this.db.getRepository(StripeSyncBatch);
    const properties = this.db.getMetadata(StripeSyncBatch).columns.map((column) => column.propertyName);
    return records.map((record) =>
      repository.create(Object.fromEntries(properties.map((property) => [property, record[property]])) as DeepPartial<StripeSyncBatch>),
    );
  }
}
