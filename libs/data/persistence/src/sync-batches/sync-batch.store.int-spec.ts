import { randomUUID } from 'node:crypto';
import { DataSource } from 'typeorm';
import { stackEnv, uniqueTenant, type TestTenant } from '@flexsync/testing';
import { dataSourceOptions } from '../data-source';
import { StripeSyncBatch, type SyncStatus } from './stripe-sync-batch.entity';
import { SyncBatchStore } from './sync-batch.store';

const hour = (year: number, h: number) => new Date(Date.UTC(year, 5, 21, h));

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
    rows: { customerId?: string; status: SyncStatus; windowStart: Date; latencyMs?: number; workflowId?: string; nextAttemptAt?: Date }[],
  ): Promise<string[]> {
    const inserted: { id: string }[] = await dataSource.query(
      `INSERT INTO stripe_sync_batches (tenant_id, environment_id, customer_id, meter_id, event_type, window_start, window_end, identifier,
                                        payload_hash, aggregated_quantity, sent_value, sync_status, latency_ms, workflow_id, next_attempt_at)
       SELECT $1, $2, u.customer_id, 'meter_1', 'api_call', u.window_start, u.window_start + interval '1 hour', u.identifier, 'hash',
              1.5, 7, u.status, u.latency_ms, u.workflow_id, u.next_attempt_at
         FROM unnest($3::text[], $4::timestamptz[], $5::text[], $6::text[], $7::int[], $8::text[], $9::timestamptz[])
              WITH ORDINALITY AS u(customer_id, window_start, identifier, status, latency_ms, workflow_id, next_attempt_at, n)
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
    const before = await store.backlogByStatus();
    await insertRows(scope, [
      { status: 'unknown', windowStart: hour(2001, 1) },
      { status: 'unknown', windowStart: hour(2001, 2) },
      { status: 'failed', windowStart: hour(2001, 3) },
      { status: 'completed', windowStart: hour(2000, 1) },
    ]);
    const after = await store.backlogByStatus();
    expect((after.get('unknown') ?? 0) - (before.get('unknown') ?? 0)).toBeGreaterThanOrEqual(2);
    expect(after.has('completed')).toBe(false);

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
});
