/**
 * The workflow tier of reconciliation (issue 9): `StripeScheduledReconciliationWorkflow` (the daily fan-out),
 * `StripeReconciliationWorkflow` (one tenant: reconcile, then re-send what it re-armed) and the hourly tenant run's
 * reconciliation of the windows it synced, on a real Temporal dev server (`TestWorkflowEnvironment`) with stub
 * activities. Beside the other workflow-tier spec because it needs this lib's bundler.
 */
import { homedir } from 'node:os';
import { join } from 'node:path';
import { ApplicationFailure } from '@temporalio/common';
import { WorkflowFailedError, type Client } from '@temporalio/client';
import { TestWorkflowEnvironment } from '@temporalio/testing';
import { DefaultLogger, Runtime, Worker, type WorkflowBundleWithSourceMap } from '@temporalio/worker';
import {
  dailyReconciliationWorkflowId,
  STRIPE_RECONCILIATION_WORKFLOW,
  STRIPE_SCHEDULED_RECONCILIATION_WORKFLOW,
  STRIPE_TENANT_COVERAGE_WORKFLOW,
} from '@flexsync/sync-contracts';
import type {
  AggregateEventsInput,
  ListSyncTenantsInput,
  ReconciliationInput,
  ReconciliationResult,
  ReconciliationSummary,
  ReconcileTenantInput,
  RecordResendInput,
  ScheduledReconciliationInput,
  ScheduledReconciliationResult,
  SyncWindow,
  SyncWorkerActivities,
  TenantCoverageInput,
  TenantCoverageResult,
} from '@flexsync/sync-contracts';
import { bundleSyncWorkflows } from './sync-worker-factory';

const TEMPORAL_CLI = join(process.env.FLEXSYNC_CACHE ?? join(homedir(), '.cache', 'flexprice-stripe-sync'), 'bin', 'temporal');
const H4: SyncWindow = { start: '2025-06-21T04:00:00.000Z', end: '2025-06-21T05:00:00.000Z' };
const H5: SyncWindow = { start: '2025-06-21T05:00:00.000Z', end: '2025-06-21T06:00:00.000Z' };
const FIRED_AT = '2025-06-21T03:30:00.000Z';

let env: TestWorkflowEnvironment;
let client: Client;
let bundle: WorkflowBundleWithSourceMap;
let queueSeq = 0;

beforeAll(async () => {
  Runtime.install({ logger: new DefaultLogger('WARN') });
  [env, bundle] = await Promise.all([
    TestWorkflowEnvironment.createLocal({ server: { executable: { type: 'existing-path', path: TEMPORAL_CLI }, ui: false } }),
    bundleSyncWorkflows(),
  ]);
  client = env.client;
}, 180_000);

afterAll(async () => {
  await env?.teardown();
});

function summary(input: ReconcileTenantInput, overrides: Partial<ReconciliationSummary> = {}): ReconciliationSummary {
  return {
    tenantId: input.tenantId,
    environmentId: input.environmentId,
    runId: `run-${input.tenantId}`,
    status: 'completed',
    timeFrom: input.timeFrom,
    timeTo: input.timeTo,
    totals: { match: 1, drift: 0, pending: 0, unknown_outcome: 0 },
    driftUnits: '0',
    unknownOutcomes: 0,
    settledCompleted: 0,
    reidentified: 0,
    windowsToResend: [],
    ...overrides,
  };
}

/** Stub activities recording every call; each test overrides the ones it scripts. */
function stubActivities(overrides: Partial<SyncWorkerActivities>) {
  const calls = { reconcile: [] as ReconcileTenantInput[], resend: [] as RecordResendInput[], aggregate: [] as AggregateEventsInput[] };
  const activities: SyncWorkerActivities = {
    AggregateEventsActivity: async (input) => {
      calls.aggregate.push(input);
      return {
        window: input.window,
        aggregateCount: 0,
        eventCount: 0,
        totalQuantity: '0',
        armed: 0,
        corrections: 0,
        rearmed: 0,
        resumed: 0,
        unchanged: 0,
        skipped: 0,
      };
    },
    SyncToStripeActivity: async () => ({
      completed: { ids: [], latencyMs: [] },
      failed: [],
      rows: 0,
      alreadyDelivered: 0,
      resent: 0,
      resendFailed: 0,
      done: true,
    }),
    TrackSyncBatchActivity: async (input) => ({ completed: input.completed.ids.length, failed: input.failed.length }),
    RecordWindowCoverageActivity: async () => undefined,
    ListSyncTenantsActivity: async (input) => (overrides.ListSyncTenantsActivity ? overrides.ListSyncTenantsActivity(input) : { tenants: [] }),
    PlanTenantCoverageActivity: async (input) =>
      overrides.PlanTenantCoverageActivity
        ? overrides.PlanTenantCoverageActivity(input)
        : { ...input, windowMinutes: 60, undelivered: 0, beyondLimit: 0, freshnessLagSeconds: 0, windows: [] },
    ReconcileTenantActivity: async (input) => {
      calls.reconcile.push(input);
      return overrides.ReconcileTenantActivity ? overrides.ReconcileTenantActivity(input) : summary(input);
    },
    RecordReconciliationResendActivity: async (input) => {
      calls.resend.push(input);
    },
  };
  return { activities, calls };
}

async function withWorker<T>(activities: SyncWorkerActivities, body: (taskQueue: string) => Promise<T>): Promise<T> {
  queueSeq += 1;
  const taskQueue = `wf-recon-${queueSeq}`;
  const worker = await Worker.create({ connection: env.nativeConnection, namespace: env.namespace ?? 'default', taskQueue, workflowBundle: bundle, activities });
  return worker.runUntil(body(taskQueue));
}

function tenants(prefix: string, count: number) {
  return Array.from({ length: count }, (_, index) => ({ tenantId: `${prefix}_${index + 1}`, environmentId: 'env_live', windowMinutes: 60 }));
}

function listing(all: ReturnType<typeof tenants>) {
  return async ({ after, limit }: ListSyncTenantsInput) => {
    const from = after ? all.findIndex((tenant) => tenant.tenantId === after.tenantId) + 1 : 0;
    const chunk = all.slice(from, from + limit);
    const last = chunk[chunk.length - 1];
    return {
      tenants: chunk,
      next: from + limit < all.length && last ? { tenantId: last.tenantId, environmentId: last.environmentId } : undefined,
    };
  };
}

describe('StripeScheduledReconciliationWorkflow (the daily fan-out)', () => {
  it('starts one reconciliation per enabled tenant over the 35 days before the tick, a page of tenants at a time', async () => {
    const all = tenants(`daily${queueSeq + 1}`, 5);
    const { activities, calls } = stubActivities({ ListSyncTenantsActivity: listing(all) });

    const { fanOut, runs } = await withWorker(activities, async (taskQueue) => {
      const result = (await client.workflow.execute(STRIPE_SCHEDULED_RECONCILIATION_WORKFLOW, {
        taskQueue,
        workflowId: `daily-paged-${queueSeq}`,
        args: [{ firedAt: FIRED_AT, tenantPageSize: 2, maxConcurrentTenants: 2 } satisfies ScheduledReconciliationInput],
      })) as ScheduledReconciliationResult;
      const tenantRuns = await Promise.all(
        all.map((tenant) => client.workflow.getHandle(dailyReconciliationWorkflowId(tenant)).result() as Promise<ReconciliationResult>),
      );
      return { fanOut: result, runs: tenantRuns };
    });

    expect(fanOut).toEqual({
      firedAt: FIRED_AT,
      timeFrom: '2025-05-17T03:00:00.000Z',
      timeTo: '2025-06-21T03:00:00.000Z',
      started: 5,
      alreadyRunning: 0,
      failedToStart: 0,
      pages: 3,
    });
    expect(runs.map((run) => run.tenantId)).toEqual(all.map((tenant) => tenant.tenantId));
    expect(calls.reconcile.map((call) => call.tenantId).sort()).toEqual(all.map((tenant) => tenant.tenantId).sort());
    expect(
      calls.reconcile.every(
        (call) => call.trigger === 'daily' && call.timeFrom === '2025-05-17T03:00:00.000Z' && call.timeTo === '2025-06-21T03:00:00.000Z',
      ),
    ).toBe(true);
  });

  it('isolates tenants: one failing and one still running from the day before leave the others reconciled', async () => {
    const [ok, broken, busy] = tenants(`dailyiso${queueSeq + 1}`, 3);
    let releaseBusy!: () => void;
    const busyReleased = new Promise<void>((resolve) => (releaseBusy = resolve));
    const { activities, calls } = stubActivities({
      ListSyncTenantsActivity: async () => ({ tenants: [ok, broken, busy] }),
      ReconcileTenantActivity: async (input) => {
        if (input.tenantId === broken.tenantId) throw ApplicationFailure.nonRetryable('ClickHouse refused the query', 'StubFailure');
        if (input.tenantId === busy.tenantId) await busyReleased;
        return summary(input);
      },
    });

    const outcome = await withWorker(activities, async (taskQueue) => {
      const previous = await client.workflow.start(STRIPE_RECONCILIATION_WORKFLOW, {
        taskQueue,
        workflowId: dailyReconciliationWorkflowId(busy),
        args: [{ ...busy, timeFrom: H4.start, timeTo: H5.end, trigger: 'daily' } satisfies ReconciliationInput],
      });
      const fanOut = (await client.workflow.execute(STRIPE_SCHEDULED_RECONCILIATION_WORKFLOW, {
        taskQueue,
        workflowId: `daily-isolated-${queueSeq}`,
        args: [{ firedAt: FIRED_AT } satisfies ScheduledReconciliationInput],
      })) as ScheduledReconciliationResult;
      const okRun = (await client.workflow.getHandle(dailyReconciliationWorkflowId(ok)).result()) as ReconciliationResult;
      const brokenRun = await client.workflow
        .getHandle(dailyReconciliationWorkflowId(broken))
        .result()
        .then(
          () => undefined,
          (error: unknown) => error,
        );
      releaseBusy();
      await previous.result();
      return { fanOut, okRun, brokenRun };
    });

    expect(outcome.fanOut).toMatchObject({ started: 2, alreadyRunning: 1, failedToStart: 0, pages: 1 });
    expect(outcome.okRun).toMatchObject({ tenantId: ok.tenantId, status: 'completed' });
    expect(outcome.brokenRun).toBeInstanceOf(WorkflowFailedError);
    // The busy tenant was reconciled once (by its own run), not a second time by this tick.
    expect(calls.reconcile.filter((call) => call.tenantId === busy.tenantId)).toHaveLength(1);
  });
});

describe('StripeReconciliationWorkflow', () => {
  it('re-sends the rows it re-armed with a sync over their windows, and records that sync on the run', async () => {
    const scope = { tenantId: `resend${queueSeq + 1}`, environmentId: 'env_live' };
    const { activities, calls } = stubActivities({
      ReconcileTenantActivity: async (input) => summary(input, { reidentified: 2, windowsToResend: [H5, H4] }),
    });

    const result = await withWorker(activities, (taskQueue) =>
      client.workflow.execute(STRIPE_RECONCILIATION_WORKFLOW, {
        taskQueue,
        workflowId: `resend-${queueSeq}`,
        args: [{ ...scope, timeFrom: H4.start, timeTo: H5.end, trigger: 'api', windowMinutes: 60 } satisfies ReconciliationInput],
      }),
    );

    expect(result).toMatchObject({ reidentified: 2, resendWorkflowId: `resend-${queueSeq}-resend` });
    expect(calls.resend).toEqual([{ ...scope, runId: `run-${scope.tenantId}`, resendWorkflowId: `resend-${queueSeq}-resend` }]);
    expect(calls.aggregate.map((call) => call.window)).toEqual([H4, H5]);
  });

  it('sends nothing when nothing was re-armed', async () => {
    const scope = { tenantId: `noresend${queueSeq + 1}`, environmentId: 'env_live' };
    const { activities, calls } = stubActivities({});

    const result = await withWorker(activities, (taskQueue) =>
      client.workflow.execute(STRIPE_RECONCILIATION_WORKFLOW, {
        taskQueue,
        workflowId: `noresend-${queueSeq}`,
        args: [{ ...scope, timeFrom: H4.start, timeTo: H5.end, trigger: 'api' } satisfies ReconciliationInput],
      }),
    );

    expect(result.resendWorkflowId).toBeUndefined();
    expect(calls.aggregate).toEqual([]);
    expect(calls.resend).toEqual([]);
  });
});

describe('StripeTenantCoverageWorkflow: reconciliation after every hourly run', () => {
  const plannedH4H5 = async (input: { tenantId: string; environmentId: string }) => ({
    ...input,
    windowMinutes: 60,
    undelivered: 2,
    beyondLimit: 0,
    freshnessLagSeconds: 0,
    windows: [H4, H5],
  });

  it('reconciles exactly the windows the run synced', async () => {
    const scope = { tenantId: `hourly${queueSeq + 1}`, environmentId: 'env_live' };
    const { activities, calls } = stubActivities({ PlanTenantCoverageActivity: plannedH4H5 });

    const result = await withWorker(activities, (taskQueue) =>
      client.workflow.execute(STRIPE_TENANT_COVERAGE_WORKFLOW, {
        taskQueue,
        workflowId: `hourly-${queueSeq}`,
        args: [{ ...scope, firedAt: '2025-06-21T06:05:00.000Z', lookbackHours: 2, maxWindows: 72 } satisfies TenantCoverageInput],
      }),
    );

    expect((result as TenantCoverageResult).windowsSynced).toBe(2);
    expect(calls.reconcile).toEqual([expect.objectContaining({ ...scope, timeFrom: H4.start, timeTo: H5.end, trigger: 'hourly' })]);
  });

  it('finishes the hourly run even when its reconciliation fails', async () => {
    const scope = { tenantId: `hourlyfail${queueSeq + 1}`, environmentId: 'env_live' };
    const { activities, calls } = stubActivities({
      PlanTenantCoverageActivity: plannedH4H5,
      ReconcileTenantActivity: async () => {
        throw ApplicationFailure.nonRetryable('Stripe summaries unavailable', 'StubFailure');
      },
    });

    const result = await withWorker(activities, (taskQueue) =>
      client.workflow.execute(STRIPE_TENANT_COVERAGE_WORKFLOW, {
        taskQueue,
        workflowId: `hourly-fail-${queueSeq}`,
        args: [{ ...scope, firedAt: '2025-06-21T06:05:00.000Z', lookbackHours: 2, maxWindows: 72 } satisfies TenantCoverageInput],
      }),
    );

    expect(result).toMatchObject({ ...scope, windowsSynced: 2 });
    expect(calls.reconcile).toHaveLength(1);
  });
});
