import type { DataSource, DeepPartial, EntityManager } from 'typeorm';
import type { TenantScope } from '../entities/tenant-scoped';
import { circuitNotClosedOf } from '../circuit-breakers/circuit-breaker.store';
import { mappedStripeCustomerOf } from '../customer-mappings/customer-mapping.store';
import { syncingStripeMeterMappingOf } from '../meter-mappings/meter-mapping.store';
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

/**
 * SQL condition for a ledger row still to push: `pending`, or `failed` with the system's own retry due (`unknown`
 * waits for reconciliation).
 */
export const OPEN_LEDGER_ROW = `sync_status = 'pending' OR (sync_status = 'failed' AND next_attempt_at IS NOT NULL AND next_attempt_at <= now())`;

/** A per tenant+environment figure of the cross-tenant gauges, as Postgres renders it (text). */
export interface TenantFigure {
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

/** A push the v2 meter event stream accepted, with the latency of the request that carried it. */
export interface StreamAcceptedPush {
  id: string;
  latencyMs: number;
}

/** A half-open window `[start, end)` of the ledger. */
export interface LedgerWindowBounds {
  start: Date;
  end: Date;
}

/** One series (customer, meter, event type) of a window. */
export interface LedgerSeriesKey {
  customerId: string;
  meterId: string;
  eventType: string;
}

/** The Temporal run writing rows, recorded on them. */
export interface LedgerRunRef {
  workflowId: string | null;
  runId: string | null;
}

/** A meter event frozen on a row when it is valued: what Stripe receives, every time it is sent. */
export interface LedgerMeterEvent {
  eventName: string;
  stripeCustomerId: string;
  /** Whole-number Stripe value, as text. */
  value: string;
  precision: number;
  /** Unix seconds. */
  timestamp: number;
}

/** A row of a window's series as reconciliation against ClickHouse reads it. */
export interface LedgerSeriesRecord {
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

/** A pushable row as the pusher reads it, with what its series already holds (for unvalued rows). */
export interface LedgerPushRecord {
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

/** A row as reconciliation against Stripe's totals reads it. */
export interface LedgerDeliveryRecord {
  id: string;
  customer_id: string;
  meter_id: string;
  event_type: string;
  window_start: Date;
  window_end: Date;
  identifier: string;
  sync_status: SyncStatus;
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

/** An unknown row's frozen push, as re-identification reads it (locked). */
export interface LedgerFrozenRecord {
  identifier: string;
  aggregated_quantity: string;
  event_count: string;
  event_name: string;
  provider_customer_id: string;
  sent_value: string;
  value_precision: number;
  meter_event_timestamp: Date;
}

/** A failure `TrackSyncBatchActivity` records on a row. */
export interface LedgerFailure {
  id: string;
  attempt: number;
  error: string;
  latencyMs?: number;
  nextAttemptAt?: string;
  uncertain?: boolean;
}

/** The failure causes a mapping fix removes (the playbook's messages), for {@link SyncBatchStore.makeFixedFailuresDue}. */
export interface FixableFailureMessages {
  meterNotFound: string;
  meterDisabled: string;
  customerNotFound: string;
}

/** Byte-wise series order, the order of ClickHouse's `ORDER BY` on Strings. */
const SERIES_ORDER = `customer_id COLLATE "C", meter_id COLLATE "C", event_type COLLATE "C"`;

function emptyCounts(): Record<SyncStatus, number> {
  return { pending: 0, completed: 0, failed: 0, unknown: 0, validating: 0 };
}

/** `created_at` at full precision, in UTC, independent of the session's TimeZone. */
const CREATED_AT_KEY = `to_char(created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"')`;

/**
 * `stripe_sync_batches` (entity `StripeSyncBatch`), the write-ahead ledger: every statement on it by the sync worker
 * (`SyncLedger` arming and reconciling series, the pusher's page reads and write-ahead commits, push outcomes,
 * Stripe meter error reports, reconciliation's reads and settlements), coverage, and the orchestrator (status API,
 * batch listing, manual-sync progress, scrape-time gauges). The ledger decides what to write and holds its tenant
 * lock; statements that must run inside it (or another caller's transaction) take the caller's manager. The v2
 * meter event stream's asynchronous validation (`validating` rows, accepted then settled) is here too.
 *
 * Raw SQL throughout, because the ledger's statements need what the repository API cannot say: batch writes from
 * parallel arrays (`unnest`, `UPDATE … FROM`), `ON CONFLICT … DO NOTHING`, `UPDATE … RETURNING`, `FOR UPDATE`,
 * byte-ordered (`COLLATE "C"`) row-value ranges and correlated subqueries over a series, and the reads are aggregates
 * (`count(*) … GROUP BY`, `avg … FILTER`, window functions) or page by a row-value keyset at microsecond precision.
 * Rows the API shows whole are read by column name and built into entities ({@link toEntities}). Every statement is
 * scoped to one tenant+environment, except the gauges' reads, which are cross-tenant on purpose (one scrape reports
 * every tenant) and return only tenant ids and counts; one statement reads other tables
 * ({@link makeFixedFailuresDue}), through the conditions their stores define.
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
  unknownOutcomesByTenant(limit: number): Promise<TenantFigure[]> {
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

  // The worker's ledger. Statements that run inside the ledger's tenant lock (or another caller's transaction) take
  // the caller's manager; the others are single statements on the store's own connection.

  /** A window's rows whose series fall in `(after, upTo]` in byte order (all of the window's when neither is given). */
  seriesRows(
    manager: EntityManager,
    scope: TenantScope,
    window: LedgerWindowBounds,
    filter: { customerId?: string; after?: LedgerSeriesKey; upTo?: LedgerSeriesKey },
  ): Promise<LedgerSeriesRecord[]> {
    const values: unknown[] = [scope.tenantId, scope.environmentId, window.start, window.end];
    const conditions: string[] = [];
    const bind = (value: unknown): string => {
      values.push(value);
      return `$${values.length}`;
    };
    if (filter.customerId !== undefined) conditions.push(`customer_id = ${bind(filter.customerId)}`);
    if (filter.after) {
      conditions.push(
        `(${SERIES_ORDER}) > (${bind(filter.after.customerId)}, ${bind(filter.after.meterId)}, ${bind(filter.after.eventType)})`,
      );
    }
    if (filter.upTo) {
      conditions.push(
        `(${SERIES_ORDER}) <= (${bind(filter.upTo.customerId)}, ${bind(filter.upTo.meterId)}, ${bind(filter.upTo.eventType)})`,
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

  /** Arms new `pending` rows (unvalued); a row whose identifier exists already is left as it is. */
  async insertPending(
    manager: EntityManager,
    scope: TenantScope,
    window: LedgerWindowBounds,
    run: LedgerRunRef,
    rows: readonly {
      key: LedgerSeriesKey;
      revision: number;
      identifier: string;
      payloadHash: string;
      quantity: string;
      eventCount: string;
    }[],
  ): Promise<void> {
    if (rows.length === 0) return;
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
        rows.map((row) => row.key.customerId),
        rows.map((row) => row.key.meterId),
        rows.map((row) => row.key.eventType),
        rows.map((row) => row.revision),
        rows.map((row) => row.identifier),
        rows.map((row) => row.payloadHash),
        rows.map((row) => row.quantity),
        rows.map((row) => row.eventCount),
      ],
    );
  }

  /** New measured totals on rows not yet valued, which turn `pending` again. */
  async refreshUnvalued(
    manager: EntityManager,
    scope: TenantScope,
    run: LedgerRunRef,
    rows: readonly { id: string; payloadHash: string; quantity: string; eventCount: string }[],
  ): Promise<void> {
    if (rows.length === 0) return;
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
        rows.map((row) => row.id),
        rows.map((row) => row.quantity),
        rows.map((row) => row.eventCount),
        rows.map((row) => row.payloadHash),
      ],
    );
  }

  /** Failed rows turn `pending` again, keeping their cause until an outcome replaces it. */
  async rearmFailed(manager: EntityManager, scope: TenantScope, run: LedgerRunRef, ids: readonly string[]): Promise<void> {
    if (ids.length === 0) return;
    await manager.query(
      // The cause stays until an outcome replaces it: a pending row with attempts and no cause is one whose last
      // call was never answered (a crash after it), which the page planner must tell apart.
      `UPDATE stripe_sync_batches SET sync_status = 'pending', next_attempt_at = NULL, workflow_id = $3, run_id = $4, updated_at = now()
        WHERE tenant_id = $1 AND environment_id = $2 AND id = ANY($5::uuid[]) AND sync_status = 'failed'`,
      [scope.tenantId, scope.environmentId, run.workflowId, run.runId, [...ids]],
    );
  }

  /** Deletes rows never valued (so never sent). */
  async withdrawUnvalued(manager: EntityManager, scope: TenantScope, ids: readonly string[]): Promise<void> {
    if (ids.length === 0) return;
    await manager.query(
      `DELETE FROM stripe_sync_batches WHERE tenant_id = $1 AND environment_id = $2 AND id = ANY($3::uuid[]) AND sent_value IS NULL`,
      [scope.tenantId, scope.environmentId, [...ids]],
    );
  }

  /**
   * A page of the window's pushes in id order after `afterId`: pending rows, plus completed rows acknowledged since
   * `resendCompletedSince` when a forced rerun re-sends them. For unvalued rows, also the quantity the series'
   * valued revisions already cover, what each Stripe target holds of the series, and its highest revision.
   */
  pushPage(
    manager: EntityManager,
    params: { scope: TenantScope; window: LedgerWindowBounds; afterId?: string; limit: number; resendCompletedSince?: Date },
  ): Promise<LedgerPushRecord[]> {
    // Pending-only pages match the partial index on pending rows exactly (an OR would keep the planner off it).
    const statuses = params.resendCompletedSince
      ? `(b.sync_status = 'pending' OR (b.sync_status = 'completed' AND b.completed_at >= $7))`
      : `b.sync_status = 'pending'`;
    return manager.query(
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
  }

  /** Freezes the meter event of newly valued rows and counts their first attempt (stamping the first send at `sentAt`). */
  async freezeValued(
    manager: EntityManager,
    scope: TenantScope,
    run: LedgerRunRef,
    sentAt: Date,
    rows: readonly { id: string; payloadHash: string; event: LedgerMeterEvent }[],
  ): Promise<void> {
    if (rows.length === 0) return;
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
        rows.map((row) => row.id),
        rows.map((row) => row.event.value),
        rows.map((row) => row.event.eventName),
        rows.map((row) => row.event.stripeCustomerId),
        rows.map((row) => row.event.precision),
        rows.map((row) => String(row.event.timestamp)),
        rows.map((row) => row.payloadHash),
        sentAt,
      ],
    );
  }

  /** Inserts reversal rows, valued and `pending` with their first attempt counted. Returns their ids by identifier. */
  async insertReversals(
    manager: EntityManager,
    scope: TenantScope,
    window: LedgerWindowBounds,
    run: LedgerRunRef,
    sentAt: Date,
    rows: readonly (LedgerSeriesKey & {
      revision: number;
      identifier: string;
      payloadHash: string;
      quantity: string;
      eventCount: string;
      event: LedgerMeterEvent;
    })[],
  ): Promise<Map<string, string>> {
    if (rows.length === 0) return new Map();
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
        window.start,
        window.end,
        sentAt,
        run.workflowId,
        run.runId,
        rows.map((row) => row.customerId),
        rows.map((row) => row.meterId),
        rows.map((row) => row.eventType),
        rows.map((row) => row.revision),
        rows.map((row) => row.identifier),
        rows.map((row) => row.payloadHash),
        rows.map((row) => row.quantity),
        rows.map((row) => row.eventCount),
        rows.map((row) => row.event.value),
        rows.map((row) => row.event.eventName),
        rows.map((row) => row.event.stripeCustomerId),
        rows.map((row) => row.event.precision),
        rows.map((row) => String(row.event.timestamp)),
      ],
    );
    return new Map(inserted.map((row) => [row.identifier, row.id]));
  }

  /** Counts an attempt on `pending` frozen rows about to be sent again; `uncertain` ones had a call never answered. */
  async countAttempts(
    manager: EntityManager,
    scope: TenantScope,
    run: LedgerRunRef,
    sentAt: Date,
    rows: readonly { id: string; uncertain: boolean }[],
  ): Promise<void> {
    if (rows.length === 0) return;
    await manager.query(
      `UPDATE stripe_sync_batches b
          SET attempt_count = b.attempt_count + 1, first_sent_at = COALESCE(b.first_sent_at, $5),
              outcome_uncertain = b.outcome_uncertain OR u.uncertain, workflow_id = $3, run_id = $4, updated_at = now()
         FROM unnest($6::uuid[], $7::boolean[]) AS u(id, uncertain)
        WHERE b.id = u.id AND b.tenant_id = $1 AND b.environment_id = $2 AND b.sync_status = 'pending'`,
      [scope.tenantId, scope.environmentId, run.workflowId, run.runId, sentAt, rows.map((row) => row.id), rows.map((row) => row.uncertain)],
    );
  }

  /** Marks `pending` rows that may not be re-sent `unknown`, with the cause. */
  async markUnknown(
    manager: EntityManager,
    scope: TenantScope,
    run: LedgerRunRef,
    rows: readonly { id: string; error: string }[],
  ): Promise<void> {
    if (rows.length === 0) return;
    await manager.query(
      `UPDATE stripe_sync_batches b
          SET sync_status = 'unknown', outcome_uncertain = true, next_attempt_at = NULL, error_message = u.error,
              workflow_id = $3, run_id = $4, updated_at = now()
         FROM unnest($5::uuid[], $6::text[]) AS u(id, error)
        WHERE b.id = u.id AND b.tenant_id = $1 AND b.environment_id = $2 AND b.sync_status = 'pending'`,
      [scope.tenantId, scope.environmentId, run.workflowId, run.runId, rows.map((row) => row.id), rows.map((row) => row.error)],
    );
  }

  /**
   * Marks rows Stripe answered `completed`, whatever they said before, except a row a Stripe error report already
   * marked failed (the report is the later word). Returns how many rows changed.
   */
  async recordCompleted(scope: TenantScope, ids: readonly string[], latencyMs: readonly number[]): Promise<number> {
    if (ids.length === 0) return 0;
    const result: [unknown[], number] = await this.db.query(
      `UPDATE stripe_sync_batches b
          SET sync_status = 'completed', stripe_event_id = b.identifier, error_message = NULL, next_attempt_at = NULL,
              latency_ms = u.latency_ms, completed_at = now(), updated_at = now()
         FROM unnest($3::uuid[], $4::int[]) AS u(id, latency_ms)
        WHERE b.id = u.id AND b.tenant_id = $1 AND b.environment_id = $2 AND b.sync_status <> 'completed'
          AND NOT (b.sync_status = 'failed' AND b.stripe_error_report_id IS NOT NULL)`,
      [scope.tenantId, scope.environmentId, [...ids], latencyMs.map((ms) => Math.round(ms))],
    );
    return result[1];
  }

  /**
   * Marks rows `failed`, but only a row still `pending` at the attempt that failed, so a stale outcome never
   * overwrites a newer attempt or a success. Returns how many rows changed.
   */
  async recordFailed(scope: TenantScope, failures: readonly LedgerFailure[]): Promise<number> {
    if (failures.length === 0) return 0;
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
        failures.map((row) => row.id),
        failures.map((row) => row.attempt),
        failures.map((row) => row.error),
        failures.map((row) => (row.latencyMs === undefined ? null : Math.round(row.latencyMs))),
        failures.map((row) => row.nextAttemptAt ?? null),
        failures.map((row) => row.uncertain === true),
      ],
    );
    return result[1];
  }

  /**
   * Makes due now the tenant's failed rows whose blocking cause is gone: a meter or customer mapping that exists (and
   * syncs) now, or a circuit that is closed again after auth errors. Spans tables on purpose: it reads the mapping and
   * breaker tables, never writes them, through the conditions their stores define. Returns how many rows changed.
   */
  async makeFixedFailuresDue(scope: TenantScope, causes: FixableFailureMessages): Promise<number> {
    const result: [unknown[], number] = await this.db.query(
      `UPDATE stripe_sync_batches b SET next_attempt_at = now(), updated_at = now()
        WHERE b.tenant_id = $1 AND b.environment_id = $2 AND b.sync_status = 'failed' AND b.next_attempt_at > now()
          AND (
            (b.error_message IN ($3, $4) AND ${syncingStripeMeterMappingOf('b')})
            OR (b.error_message = $5 AND ${mappedStripeCustomerOf('b')})
            OR (b.error_message LIKE 'auth error%' AND NOT ${circuitNotClosedOf('b')}))`,
      [scope.tenantId, scope.environmentId, causes.meterNotFound, causes.meterDisabled, causes.customerNotFound],
    );
    return result[1];
  }

  /**
   * Marks the rows whose identifier a Stripe meter error report names `failed` with the report's reason, whatever
   * their status, on the report's transaction. Returns the identifiers marked.
   */
  async markRejected(
    manager: EntityManager,
    scope: TenantScope,
    reason: string,
    reportId: string,
    identifiers: readonly string[],
  ): Promise<string[]> {
    const [rows]: [{ identifier: string }[], number] = await manager.query(
      `UPDATE stripe_sync_batches
          SET sync_status = 'failed', error_message = $3, stripe_error_report_id = $4, next_attempt_at = NULL, completed_at = NULL,
              updated_at = now()
        WHERE tenant_id = $1 AND environment_id = $2 AND identifier = ANY($5::text[])
        RETURNING identifier`,
      [scope.tenantId, scope.environmentId, reason, reportId, [...identifiers]],
    );
    return rows.map((row) => row.identifier);
  }

  /** Counts the window's pushes still to send or sent by stream and validating, up to `limit`. */
  async openStreamRows(scope: TenantScope, window: LedgerWindowBounds, limit: number): Promise<number> {
    const rows: { n: number }[] = await this.db.query(
      `SELECT count(*)::int AS n FROM (
         SELECT 1 FROM stripe_sync_batches
          WHERE tenant_id = $1 AND environment_id = $2 AND window_start = $3 AND window_end = $4
            AND sync_status IN ('pending', 'validating')
          LIMIT $5) open_rows`,
      [scope.tenantId, scope.environmentId, window.start, window.end, limit],
    );
    return rows[0].n;
  }

  /**
   * Pushes the stream accepted (one or several requests' worth): `validating` from now, with the latency of the
   * request that carried each; a row no longer pending is left alone. Returns how many rows changed.
   */
  async markStreamAccepted(scope: TenantScope, pushes: readonly StreamAcceptedPush[]): Promise<number> {
    if (pushes.length === 0) return 0;
    const result: [unknown[], number] = await this.db.query(
      `UPDATE stripe_sync_batches b
          SET sync_status = 'validating', stream_accepted_at = now(), stripe_event_id = b.identifier, error_message = NULL,
              next_attempt_at = NULL, latency_ms = u.latency_ms, updated_at = now()
         FROM unnest($3::uuid[], $4::int[]) AS u(id, latency_ms)
        WHERE b.tenant_id = $1 AND b.environment_id = $2 AND b.id = u.id AND b.sync_status = 'pending'`,
      [scope.tenantId, scope.environmentId, pushes.map((push) => push.id), pushes.map((push) => Math.round(push.latencyMs))],
    );
    return result[1];
  }

  /** Stream pushes whose validation period ended with no error report naming them: `completed`. */
  async settleStreamValidation(scope: TenantScope, validationSeconds: number): Promise<number> {
    const result: [unknown[], number] = await this.db.query(
      `UPDATE stripe_sync_batches SET sync_status = 'completed', completed_at = now(), updated_at = now()
        WHERE tenant_id = $1 AND environment_id = $2 AND sync_status = 'validating'
          AND stream_accepted_at <= now() - make_interval(secs => $3)`,
      [scope.tenantId, scope.environmentId, validationSeconds],
    );
    return result[1];
  }

  /** Every row of the windows inside `range` (windows are half-open and lie wholly inside it), for reconciliation. */
  deliveries(
    scope: TenantScope,
    range: LedgerWindowBounds,
    filter: { customerId?: string; meterId?: string },
  ): Promise<LedgerDeliveryRecord[]> {
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
    return this.db.query(
      `SELECT id, customer_id, meter_id, event_type, window_start, window_end, identifier, sync_status, sent_value::text,
              event_name, provider_customer_id, next_attempt_at, completed_at, stream_accepted_at, first_sent_at,
              superseded_identifier, reconciled_at
         FROM stripe_sync_batches
        WHERE tenant_id = $1 AND environment_id = $2 AND window_start >= $3 AND window_end <= $4${where}
        ORDER BY customer_id, meter_id, window_start, event_type, revision`,
      params,
    );
  }

  /** Stripe's total shows these `unknown` rows counted: they are completed, as if Stripe had answered. */
  async markCounted(scope: TenantScope, ids: readonly string[]): Promise<number> {
    if (ids.length === 0) return 0;
    const result: [unknown[], number] = await this.db.query(
      `UPDATE stripe_sync_batches
          SET sync_status = 'completed', stripe_event_id = identifier, completed_at = now(), reconciled_at = now(),
              error_message = NULL, next_attempt_at = NULL, updated_at = now()
        WHERE tenant_id = $1 AND environment_id = $2 AND id = ANY($3::uuid[]) AND sync_status = 'unknown'`,
      [scope.tenantId, scope.environmentId, [...ids]],
    );
    return result[1];
  }

  /** Locks an `unknown`, valued row never re-identified, until the caller's transaction ends; undefined when none. */
  async lockForReidentify(manager: EntityManager, scope: TenantScope, id: string): Promise<LedgerFrozenRecord | undefined> {
    const rows: LedgerFrozenRecord[] = await manager.query(
      `SELECT identifier, aggregated_quantity::text, event_count::text, event_name, provider_customer_id, sent_value::text,
              value_precision, meter_event_timestamp
         FROM stripe_sync_batches
        WHERE tenant_id = $1 AND environment_id = $2 AND id = $3 AND sync_status = 'unknown'
          AND superseded_identifier IS NULL AND sent_value IS NOT NULL
        FOR UPDATE`,
      [scope.tenantId, scope.environmentId, id],
    );
    return rows[0];
  }

  /** Re-arms a row locked by {@link lockForReidentify} `pending` under a new identifier, keeping the old one. */
  async reidentify(manager: EntityManager, scope: TenantScope, id: string, identifier: string, payloadHash: string): Promise<void> {
    await manager.query(
      `UPDATE stripe_sync_batches
          SET superseded_identifier = identifier, identifier = $4, payload_hash = $5, sync_status = 'pending',
              attempt_count = 0, first_sent_at = NULL, outcome_uncertain = false, error_message = NULL,
              next_attempt_at = NULL, stripe_event_id = NULL, completed_at = NULL, reconciled_at = now(), updated_at = now()
        WHERE tenant_id = $1 AND environment_id = $2 AND id = $3`,
      [scope.tenantId, scope.environmentId, id, identifier, payloadHash],
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
