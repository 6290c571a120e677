import { randomUUID } from 'node:crypto';
import { DataSource } from 'typeorm';
import { stackEnv, uniqueTenant, type TestTenant } from '@flexsync/testing';
import { CircuitBreakerStore } from '../circuit-breakers/circuit-breaker.store';
import { dataSourceOptions } from '../data-source';
import { MeterMappingStore } from '../meter-mappings/meter-mapping.store';
import { StripeSyncBatch, type SyncStatus } from './stripe-sync-batch.entity';
import { SyncBatchStore } from './sync-batch.store';

const hour = (year: number, h: number) => new Date(Date.UTC(year, 5, 21, h));
/** Completed rows enough that a scan of them would show (and far fewer than a production ledger holds). */
const COMPLETED_ROWS = 100_000;

interface PlanNode {
  'Relation Name'?: string;
  'Actual Rows': number;
  'Actual Loops': number;
  'Rows Removed by Filter'?: number;
  'Rows Removed by Index Recheck'?: number;
  Plans?: PlanNode[];
}

/** Ledger rows a plan read from the table or an index: returned plus filtered out, over every loop. */
function ledgerRowsExamined(node: PlanNode): number {
  const own =
    node['Relation Name'] === 'stripe_sync_batches'
      ? (node['Actual Rows'] + (node['Rows Removed by Filter'] ?? 0) + (node['Rows Removed by Index Recheck'] ?? 0)) * node['Actual Loops']
      : 0;
  return own + (node.Plans ?? []).reduce((sum, child) => sum + ledgerRowsExamined(child), 0);
}

describe('SyncBatchStore (real Postgres)', () => {
  let dataSource: DataSource;
  let store: SyncBatchStore;

  beforeAll(async () => {
    dataSource = await new DataSource(dataSourceOptions(stackEnv().DATABASE_URL)).initialize();
    store = new SyncBatchStore(dataSource);
  });

  afterAll(async () => {
    await dataSource?.destroy();
  });

  /** Ledger rows as the worker writes them, all in one statement (so they share one microsecond `created_at`). */
  async function insertRows(
    scope: TestTenant,
    rows: {
      customerId?: string;
      status: SyncStatus;
      windowStart: Date;
      latencyMs?: number;
      workflowId?: string;
      nextAttemptAt?: Date;
      errorMessage?: string;
    }[],
  ): Promise<string[]> {
    const inserted: { id: string }[] = await dataSource.query(
      `INSERT INTO stripe_sync_batches (tenant_id, environment_id, customer_id, meter_id, event_type, window_start, window_end, identifier,
                                        payload_hash, aggregated_quantity, sent_value, sync_status, latency_ms, workflow_id, next_attempt_at,
                                        error_message)
       SELECT $1, $2, u.customer_id, 'meter_1', 'api_call', u.window_start, u.window_start + interval '1 hour', u.identifier, 'hash',
              1.5, 7, u.status, u.latency_ms, u.workflow_id, u.next_attempt_at, u.error_message
         FROM unnest($3::text[], $4::timestamptz[], $5::text[], $6::text[], $7::int[], $8::text[], $9::timestamptz[], $10::text[])
              WITH ORDINALITY AS u(customer_id, window_start, identifier, status, latency_ms, workflow_id, next_attempt_at, error_message, n)
        ORDER BY u.n
       RETURNING id`,
      [
        scope.tenantId,
        scope.environmentId,
        rows.map((row) => row.customerId ?? 'client_1'),
        rows.map((row) => row.windowStart),
        rows.map(() => `flexprice_${randomUUID().replaceAll('-', '')}`),
        rows.map((row) => row.status),
        rows.map((row) => row.latencyMs ?? null),
        rows.map((row) => row.workflowId ?? null),
        rows.map((row) => row.nextAttemptAt ?? null),
        rows.map((row) => row.errorMessage ?? null),
      ],
    );
    return inserted.map((row) => row.id);
  }

  it('reads a row back as the same entity TypeORM builds, and never another tenant’s row', async () => {
    const scope = uniqueTenant('batch_find');
    const other = uniqueTenant('batch_find_other');
    const [id] = await insertRows(scope, [{ status: 'completed', windowStart: hour(2025, 4), latencyMs: 12 }]);
    const expected = await dataSource.getRepository(StripeSyncBatch).findOneByOrFail({ id });
    const found = await store.find(scope, id);
    expect(found).toBeInstanceOf(StripeSyncBatch);
    expect(found).toEqual(expected);
    expect(found).toMatchObject({ aggregatedQuantity: '1.500000000000', sentValue: '7', latencyMs: 12, syncStatus: 'completed' });
    expect(await store.find(other, id)).toBeUndefined();
  });

  it('pages newest first by a microsecond keyset, without skipping rows created in one statement, with filters', async () => {
    const scope = uniqueTenant('batch_page');
    const ids = await insertRows(
      scope,
      Array.from({ length: 5 }, (_, n) => ({ status: n === 4 ? ('failed' as const) : ('completed' as const), windowStart: hour(2025, n) })),
    );
    await insertRows(uniqueTenant('batch_page_other'), [{ status: 'completed', windowStart: hour(2025, 1) }]);
    const seen: string[] = [];
    let after: { createdAt: string; id: string } | undefined;
    for (let pages = 0; pages < 5; pages += 1) {
      const page = await store.page(scope, { limit: 2, after });
      seen.push(...page.rows.map((row) => row.id));
      if (!page.next) break;
      expect(page.next.createdAt).toMatch(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{6}Z$/);
      after = page.next;
    }
    // One statement: one created_at, so the order is by id, descending.
    expect(seen).toEqual([...ids].sort().reverse());
    expect((await store.page(scope, { status: 'failed', limit: 10 })).rows.map((row) => row.id)).toEqual([ids[4]]);
    expect((await store.page(scope, { windowStart: hour(2025, 2), limit: 10 })).rows.map((row) => row.id)).toEqual([ids[2]]);
    expect((await store.page(scope, { customerId: 'client_none', limit: 10 })).rows).toEqual([]);
  });

  it('counts a tenant’s rows by status with the completed rows’ average latency, and a workflow’s progress', async () => {
    const scope = uniqueTenant('batch_counts');
    await insertRows(scope, [
      { status: 'completed', windowStart: hour(2025, 1), latencyMs: 10, workflowId: 'wf_1' },
      { status: 'completed', windowStart: hour(2025, 3), latencyMs: 21, workflowId: 'wf_1' },
      { status: 'failed', windowStart: hour(2025, 5), latencyMs: 1000, workflowId: 'wf_1' },
      { status: 'pending', windowStart: hour(2025, 7), workflowId: 'wf_2' },
    ]);
    await insertRows(uniqueTenant('batch_counts_other'), [{ status: 'failed', windowStart: hour(2025, 1), workflowId: 'wf_1' }]);
    expect(await store.countsSince(scope, new Date(Date.now() - 60_000))).toEqual({
      counts: { pending: 1, completed: 2, failed: 1, unknown: 0, validating: 0 },
      averageLatencyMs: 16,
    });
    expect((await store.countsSince(scope, new Date(Date.now() + 60_000))).counts.completed).toBe(0);
    expect(await store.workflowProgress(scope, 'wf_1')).toEqual({
      counts: { pending: 0, completed: 2, failed: 1, unknown: 0, validating: 0 },
      latestWindowStart: hour(2025, 5),
    });
    expect((await store.workflowProgress(scope, 'wf_none')).latestWindowStart).toBeUndefined();
  });

  it('finds the windows holding a row still to push: pending, or failed with the retry due', async () => {
    const scope = uniqueTenant('batch_open');
    await insertRows(scope, [
      { status: 'pending', windowStart: hour(2025, 1) },
      { status: 'failed', windowStart: hour(2025, 2), nextAttemptAt: new Date(Date.now() - 1000) },
      { status: 'failed', windowStart: hour(2025, 3), nextAttemptAt: new Date(Date.now() + 3_600_000) },
      { status: 'unknown', windowStart: hour(2025, 4) },
      { status: 'completed', windowStart: hour(2025, 5) },
      { status: 'pending', windowStart: hour(2024, 1) },
    ]);
    const windows = await store.openWindows(scope, hour(2025, 0));
    expect(windows.map((w) => w.window_start.toISOString()).sort()).toEqual([hour(2025, 1).toISOString(), hour(2025, 2).toISOString()]);
  });

  it('reports, across tenants, the backlog, the stalest undelivered tenants and unknown outcomes per tenant', async () => {
    const scope = uniqueTenant('batch_gauges');
    await insertRows(scope, [
      { status: 'unknown', windowStart: hour(2001, 1) },
      { status: 'unknown', windowStart: hour(2001, 2) },
      { status: 'failed', windowStart: hour(2001, 3) },
      { status: 'completed', windowStart: hour(2000, 1) },
    ]);
    // Other specs share the database: the backlog holds at least this tenant's rows, and never completed ones.
    const backlog = await store.backlogByStatus();
    expect([(backlog.get('unknown') ?? 0) >= 2, (backlog.get('failed') ?? 0) >= 1, backlog.has('completed')]).toEqual([true, true, false]);

    const undelivered = await store.undeliveredTenants(10_000);
    const mine = undelivered.rows.find((row) => row.tenant_id === scope.tenantId);
    // The oldest window not completed ends at 2001-06-21T02:00Z (the completed one from 2000 does not count).
    expect(Number(mine?.age_seconds)).toBeCloseTo((Date.now() - hour(2001, 2).getTime()) / 1000, -2);
    expect(undelivered.total).toBeGreaterThanOrEqual(undelivered.rows.length);

    const unknown = await store.unknownOutcomesByTenant(10_000);
    expect(unknown.find((row) => row.tenant_id === scope.tenantId)).toEqual({
      tenant_id: scope.tenantId,
      environment_id: scope.environmentId,
      value: '2',
    });
  });

  const bulkTenants: TestTenant[] = [];

  /** A tenant with `COMPLETED_ROWS` completed rows from 2001, so a read that scans them shows in its plan. */
  async function bulkTenant(label: string): Promise<TestTenant> {
    const scope = uniqueTenant(label);
    bulkTenants.push(scope);
    await dataSource.query(
      `INSERT INTO stripe_sync_batches (tenant_id, environment_id, customer_id, meter_id, event_type, window_start, window_end, identifier,
                                        payload_hash, aggregated_quantity, sync_status, workflow_id, created_at, updated_at)
       SELECT $1, $2, 'client_' || n, 'meter_1', 'api_call', timestamptz '2001-01-01', timestamptz '2001-01-01 01:00', 'flexprice_bulk_' || n,
              'hash', 1, 'completed', 'wf_bulk', timestamptz '2001-01-01 01:05', timestamptz '2001-01-01 01:05'
         FROM generate_series(1, $3::int) AS n`,
      [scope.tenantId, scope.environmentId, COMPLETED_ROWS],
    );
    return scope;
  }

  /**
   * Runs `reads` on a store whose statements are recorded, then replays each under EXPLAIN ANALYZE: the ledger rows
   * each statement examined, by its SQL.
   */
  async function rowsExamined(reads: (store: SyncBatchStore) => Promise<unknown>): Promise<{ query: string; examined: number }[]> {
    await dataSource.query('ANALYZE stripe_sync_batches');
    const statements: { query: string; parameters: unknown[] }[] = [];
    const recorder = await new DataSource({
      ...dataSourceOptions(stackEnv().DATABASE_URL),
      logging: ['query'],
      logger: {
        logQuery: (query, parameters) => statements.push({ query, parameters: parameters ?? [] }),
        logQueryError: () => undefined,
        logQuerySlow: () => undefined,
        logSchemaBuild: () => undefined,
        logMigration: () => undefined,
        log: () => undefined,
      },
    }).initialize();
    statements.splice(0); // TypeORM's own start-up statements
    try {
      await reads(new SyncBatchStore(recorder));
    } finally {
      await recorder.destroy();
    }
    const examined: { query: string; examined: number }[] = [];
    for (const statement of statements) {
      const [{ 'QUERY PLAN': plan }]: { 'QUERY PLAN': [{ Plan: PlanNode }] }[] = await dataSource.query(
        `EXPLAIN (ANALYZE, FORMAT JSON) ${statement.query}`,
        statement.parameters,
      );
      examined.push({ query: statement.query, examined: ledgerRowsExamined(plan[0].Plan) });
    }
    return examined;
  }

  // Dropped after each spec, passed or failed: 100,000 rows left behind would weigh on every spec sharing the database.
  afterEach(async () => {
    for (const scope of bulkTenants.splice(0)) {
      await dataSource.query(`DELETE FROM stripe_sync_batches WHERE tenant_id = $1 AND environment_id = $2`, [
        scope.tenantId,
        scope.environmentId,
      ]);
    }
  });

  it('reads the cross-tenant gauges from the rows not yet delivered only, however many rows are completed', async () => {
    // Every scrape of the orchestrator runs these reads; scanning a ledger of millions of completed rows took ~0.6 s
    // each at 3.4M rows, and the scrape timed out. They must examine the undelivered rows, not the whole table.
    const scope = await bulkTenant('batch_gauge_reads');
    await insertRows(scope, [
      { status: 'unknown', windowStart: hour(2001, 1) },
      { status: 'failed', windowStart: hour(2001, 2) },
    ]);
    const reads = await rowsExamined(async (store) => {
      await store.backlogByStatus();
      await store.undeliveredTenants(100);
      await store.unknownOutcomesByTenant(100);
    });
    const [{ undelivered }]: { undelivered: string }[] = await dataSource.query(
      `SELECT count(*) AS undelivered FROM stripe_sync_batches WHERE sync_status <> 'completed'`,
    );

    expect(reads).toHaveLength(3);
    // Named with their counts when they fail: each read examines at most the table's undelivered rows (all tenants').
    expect(reads.filter((read) => read.examined > Number(undelivered))).toEqual([]);
  }, 60_000);

  it('answers a tenant’s history page and a run’s progress from the rows asked for, however many older rows it has', async () => {
    // The batches list and a manual run's progress read one tenant; one with a million ledger rows took ~0.5 s a
    // call scanning them. They must examine the rows they answer about, not the tenant's history.
    const scope = await bulkTenant('batch_tenant_reads');
    await insertRows(scope, [
      { status: 'completed', windowStart: hour(2001, 1), workflowId: 'wf_recent' },
      { status: 'failed', windowStart: hour(2001, 2), workflowId: 'wf_recent' },
    ]);
    const reads = await rowsExamined(async (store) => {
      await store.page(scope, { limit: 50 });
      await store.workflowProgress(scope, 'wf_recent');
    });

    expect(reads).toHaveLength(2);
    // A page of 50 reads at most the 51 rows it asks for; the run's two rows answer its progress.
    expect(reads.filter((read) => read.examined > 51)).toEqual([]);
  }, 60_000);

  const statusOf = async (id: string): Promise<{ sync_status: string; next_attempt_at: Date | null }> => {
    const [row]: { sync_status: string; next_attempt_at: Date | null }[] = await dataSource.query(
      `SELECT sync_status, next_attempt_at FROM stripe_sync_batches WHERE id = $1`,
      [id],
    );
    return row;
  };

  it('never settles another tenant’s row, whichever ledger write names its id or identifier', async () => {
    const scope = uniqueTenant('batch_ledger_scope');
    const other = uniqueTenant('batch_ledger_scope_other');
    const [unknown, pending] = await insertRows(scope, [
      { status: 'unknown', windowStart: hour(2025, 1) },
      { status: 'pending', windowStart: hour(2025, 2) },
    ]);
    const [{ identifier }]: { identifier: string }[] = await dataSource.query(`SELECT identifier FROM stripe_sync_batches WHERE id = $1`, [
      pending,
    ]);
    expect(await store.markCounted(other, [unknown])).toBe(0);
    expect(await store.recordCompleted(other, [pending], [5])).toBe(0);
    expect(
      await dataSource.transaction((manager) => store.markRejected(manager, other, 'stripe rejected: x', 'evt_1', [identifier])),
    ).toEqual([]);
    expect([(await statusOf(unknown)).sync_status, (await statusOf(pending)).sync_status]).toEqual(['unknown', 'pending']);

    expect(await store.markCounted(scope, [unknown])).toBe(1);
    expect(await store.recordCompleted(scope, [pending], [5])).toBe(1);
    expect([(await statusOf(unknown)).sync_status, (await statusOf(pending)).sync_status]).toEqual(['completed', 'completed']);
  });

  it('takes the stream’s accepted pushes to validating in their own tenant only, and settles them once validation ends', async () => {
    const scope = uniqueTenant('batch_stream');
    const other = uniqueTenant('batch_stream_other');
    const window = { start: hour(2025, 3), end: hour(2025, 4) };
    const [first, second, done] = await insertRows(scope, [
      { status: 'pending', windowStart: window.start },
      { status: 'pending', windowStart: window.start },
      { status: 'completed', windowStart: window.start },
    ]);
    expect(await store.openStreamRows(scope, window, 10)).toBe(2);
    expect(await store.openStreamRows(scope, window, 1)).toBe(1);
    expect(await store.openStreamRows(other, window, 10)).toBe(0);

    const accepted = [first, second, done].map((id) => ({ id, latencyMs: 41.6 }));
    expect(await store.markStreamAccepted(other, accepted)).toBe(0);
    expect(await store.markStreamAccepted(scope, accepted)).toBe(2);
    const rows: { id: string; sync_status: string; latency_ms: number; stream_accepted: boolean }[] = await dataSource.query(
      `SELECT id, sync_status, latency_ms, stream_accepted_at IS NOT NULL AS stream_accepted FROM stripe_sync_batches WHERE id = ANY($1) ORDER BY window_start, id`,
      [[first, second, done]],
    );
    expect(Object.fromEntries(rows.map((row) => [row.id, [row.sync_status, row.latency_ms, row.stream_accepted]]))).toEqual({
      [first]: ['validating', 42, true],
      [second]: ['validating', 42, true],
      [done]: ['completed', null, false],
    });
    expect(await store.openStreamRows(scope, window, 10)).toBe(2);

    expect(await store.settleStreamValidation(scope, 3600)).toBe(0);
    expect(await store.settleStreamValidation(other, 0)).toBe(0);
    expect(await store.settleStreamValidation(scope, 0)).toBe(2);
    expect([(await statusOf(first)).sync_status, (await statusOf(second)).sync_status]).toEqual(['completed', 'completed']);
    expect(await store.openStreamRows(scope, window, 10)).toBe(0);
  });

  it('makes due a failure whose cause is fixed in its own tenant only: the meter mapped with sync on, the circuit closed', async () => {
    const scope = uniqueTenant('batch_fixed');
    const other = uniqueTenant('batch_fixed_other');
    const later = new Date(Date.now() + 3_600_000);
    const causes = {
      meterNotFound: 'meter mapping not found',
      meterDisabled: 'meter mapping has sync disabled',
      customerNotFound: 'customer mapping not found',
    };
    const [meterFailure, authFailure] = await insertRows(scope, [
      { status: 'failed', windowStart: hour(2025, 1), nextAttemptAt: later, errorMessage: causes.meterNotFound },
      { status: 'failed', windowStart: hour(2025, 2), nextAttemptAt: later, errorMessage: 'auth error: 401' },
    ]);
    const mappings = new MeterMappingStore(dataSource);
    const breakers = new CircuitBreakerStore(dataSource);
    await breakers.open(scope, 3600, '401');
    await mappings.insert(other, {
      meterId: 'meter_1',
      providerType: 'stripe',
      providerMeterId: 'api',
      syncEnabled: true,
      valuePrecision: 0,
    });
    await mappings.insert(scope, {
      meterId: 'meter_1',
      providerType: 'stripe',
      providerMeterId: 'api',
      syncEnabled: false,
      valuePrecision: 0,
    });
    expect(await store.makeFixedFailuresDue(scope, causes)).toBe(0);

    const mapping = await mappings.get(scope, 'meter_1');
    mapping.syncEnabled = true;
    await mappings.save(mapping);
    expect(await store.makeFixedFailuresDue(scope, causes)).toBe(1);
    expect((await statusOf(meterFailure)).next_attempt_at?.getTime()).toBeLessThanOrEqual(Date.now() + 1000);
    expect((await statusOf(authFailure)).next_attempt_at).toEqual(later);

    await breakers.close(scope);
    expect(await store.makeFixedFailuresDue(scope, causes)).toBe(1);
  });
});
