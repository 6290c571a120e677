import { randomUUID } from 'node:crypto';
import { DataSource } from 'typeorm';
import { stackEnv, uniqueTenant } from '@flexsync/testing';
import { dataSourceOptions } from '../data-source';
import { ManualSyncRunStore, type ManualSyncRunStart } from './manual-sync-run.store';
import { StripeManualSyncRun } from './stripe-manual-sync-run.entity';

describe('ManualSyncRunStore (real Postgres)', () => {
  let dataSource: DataSource;
  let store: ManualSyncRunStore;

  beforeAll(async () => {
    dataSource = await new DataSource(dataSourceOptions(stackEnv().DATABASE_URL)).initialize();
    store = new ManualSyncRunStore(dataSource);
  });

  afterAll(async () => {
    await dataSource?.destroy();
  });

  const start = (workflowId: string, runId: string = randomUUID()): ManualSyncRunStart => ({
    kind: 'manual',
    workflowId,
    runId,
    requestedBy: 'admin@example.com',
    requestedAs: 'tenant_admin',
    timeFrom: '2025-06-21T00:00:00.000Z',
    timeTo: '2025-06-21T02:00:00.000Z',
    windowMinutes: 60,
    customerId: 'client_1',
    forceRerun: false,
  });

  it('records a Temporal run once, readable through its entity', async () => {
    const scope = uniqueTenant('runs_once');
    const run = start(`wf_${scope.tenantId}`);
    expect(await dataSource.transaction((manager) => store.record(manager, scope, run))).toBe(true);
    expect(await dataSource.transaction((manager) => store.record(manager, scope, run))).toBe(false);
    const rows = await dataSource.getRepository(StripeManualSyncRun).findBy({ tenantId: scope.tenantId, environmentId: scope.environmentId });
    expect(rows.map((row) => [row.workflowId, row.runId, row.kind, row.customerId, row.windowMinutes, row.finishedAt])).toEqual([
      [run.workflowId, run.runId, 'manual', 'client_1', 60, null],
    ]);
  });

  it('lists and finishes open runs of its own tenant only, and reads the latest run of a workflow id', async () => {
    const scope = uniqueTenant('runs_open');
    const other = uniqueTenant('runs_open_other');
    const workflowId = `wf_${scope.tenantId}`;
    await dataSource.transaction(async (manager) => {
      await store.record(manager, scope, start(workflowId, 'run_1'));
      await store.record(manager, other, start(`wf_${other.tenantId}`));
    });
    await dataSource.transaction((manager) => store.record(manager, scope, start(workflowId, 'run_2')));
    const open = await store.listOpen(dataSource.manager, scope);
    expect(open.map((run) => run.run_id).sort()).toEqual(['run_1', 'run_2']);

    // Ids of another tenant's rows finish nothing.
    await store.markFinished(dataSource.manager, other, open.map((run) => run.id));
    expect(await store.listOpen(dataSource.manager, scope)).toHaveLength(2);
    await store.markFinished(dataSource.manager, scope, [open.find((run) => run.run_id === 'run_1')?.id ?? '']);
    expect((await store.listOpen(dataSource.manager, scope)).map((run) => run.run_id)).toEqual(['run_2']);
    expect(await store.listOpen(dataSource.manager, other)).toHaveLength(1);

    expect(await store.latest(scope, workflowId)).toMatchObject({ run_id: 'run_2', kind: 'manual', window_minutes: 60 });
    expect(await store.latest(other, workflowId)).toBeUndefined();
  });
});
