/**
 * The workflow tier: the sync workflows (libs/sync/workflows, bundled as the worker bundles them) on a real Temporal
 * dev server (the stack's Temporal CLI binary, started fresh by `TestWorkflowEnvironment`) with stub activities:
 * plain functions that record what they were called with, no database. Covers what the end-to-end specs only reach
 * slowly: push passes, continue-as-new with progress, page tracking overlapped with the next push, and the scheduled
 * fan-out (paging, already-running runs, failure isolation). It lives here, not beside the workflows, because
 * workflow-tagged code may import contracts only, and it needs this lib's bundler.
 */
import { homedir } from 'node:os';
import { join } from 'node:path';
import { ApplicationFailure } from '@temporalio/common';
import { WorkflowFailedError, type Client } from '@temporalio/client';
import { TestWorkflowEnvironment } from '@temporalio/testing';
import { DefaultLogger, Runtime, Worker, type WorkflowBundleWithSourceMap } from '@temporalio/worker';
import {
  scheduledTenantSyncWorkflowId,
  STRIPE_EVENT_SYNC_WORKFLOW,
  STRIPE_SCHEDULED_SYNC_WORKFLOW,
  STRIPE_TENANT_COVERAGE_WORKFLOW,
} from '@flexsync/sync-contracts';
import type {
  AggregateEventsInput,
  ListSyncTenantsInput,
  PlanTenantCoverageInput,
  ReconcileTenantInput,
  ReconciliationSummary,
  RecordWindowCoverageInput,
  ScheduledSyncInput,
  ScheduledSyncResult,
  StripeEventSyncInput,
  StripeEventSyncResult,
  SyncToStripeInput,
  SyncToStripeResult,
  SyncWindow,
  SyncWorkerActivities,
  TenantCoverageInput,
  TenantCoveragePlan,
  TenantCoverageResult,
  TrackSyncBatchInput,
  WindowUsageSummary,
} from '@flexsync/sync-contracts';
import { bundleSyncWorkflows } from './sync-worker-factory';

const TEMPORAL_CLI = join(process.env.FLEXSYNC_CACHE ?? join(homedir(), '.cache', 'flexprice-stripe-sync'), 'bin', 'temporal');
const SCOPE = { tenantId: 'tenant_wf', environmentId: 'env_wf' };
const H4: SyncWindow = { start: '2025-06-21T04:00:00.000Z', end: '2025-06-21T05:00:00.000Z' };
const H5: SyncWindow = { start: '2025-06-21T05:00:00.000Z', end: '2025-06-21T06:00:00.000Z' };

let env: TestWorkflowEnvironment;
let client: Client;
let bundle: WorkflowBundleWithSourceMap;
let queueSeq = 0;

beforeAll(async () => {
  // The SDK's per-worker INFO lines (state changes) would bury the test output.
  Runtime.install({ logger: new DefaultLogger('WARN') });
  [env, bundle] = await Promise.all([
    TestWorkflowEnvironment.createLocal({ server: { executable: { type: 'existing-path', path: TEMPORAL_CLI }, ui: false } }),
    bundleSyncWorkflows(),
  ]);
  client = env.client;
});

afterAll(async () => {
  await env?.teardown();
});

function summary(window: SyncWindow): WindowUsageSummary {
  return {
    window,
    aggregateCount: 3,
    eventCount: 30,
    totalQuantity: '42.5',
    armed: 3,
    corrections: 0,
    rearmed: 0,
    resumed: 0,
    unchanged: 0,
    skipped: 0,
  };
}

function page(ids: string[], next: { nextAfterId?: string; done: boolean }): SyncToStripeResult {
  return {
    completed: { ids, latencyMs: ids.map(() => 5) },
    failed: [],
    rows: ids.length,
    alreadyDelivered: 0,
    resent: 0,
    resendFailed: 0,
    ...next,
  };
}

function plan({ tenantId, environmentId }: { tenantId: string; environmentId: string }, windows: SyncWindow[]): TenantCoveragePlan {
  return { tenantId, environmentId, windowMinutes: 60, undelivered: windows.length, beyondLimit: 0, freshnessLagSeconds: 0, windows };
}

/** A reconciliation that found nothing to re-send. */
function reconciled(input: ReconcileTenantInput): ReconciliationSummary {
  return {
    tenantId: input.tenantId,
    environmentId: input.environmentId,
    runId: 'run-1',
    status: 'completed',
    timeFrom: input.timeFrom,
    timeTo: input.timeTo,
    totals: { match: 1, drift: 0, pending: 0, unknown_outcome: 0 },
    driftUnits: '0',
    unknownOutcomes: 0,
    settledCompleted: 0,
    reidentified: 0,
    windowsToResend: [],
  };
}

/** Stub activities recording every call; each test overrides the ones it scripts. */
function stubActivities(overrides: Partial<SyncWorkerActivities>) {
  const calls = {
    aggregate: [] as AggregateEventsInput[],
    push: [] as SyncToStripeInput[],
    track: [] as TrackSyncBatchInput[],
    coverage: [] as RecordWindowCoverageInput[],
    list: [] as ListSyncTenantsInput[],
    plan: [] as PlanTenantCoverageInput[],
    reconcile: [] as ReconcileTenantInput[],
  };
  const activities: SyncWorkerActivities = {
    AggregateEventsActivity: async (input) => {
      calls.aggregate.push(input);
      return overrides.AggregateEventsActivity ? overrides.AggregateEventsActivity(input) : summary(input.window);
    },
    SyncToStripeActivity: async (input) => {
      calls.push.push(input);
      return overrides.SyncToStripeActivity ? overrides.SyncToStripeActivity(input) : page([], { done: true });
    },
    TrackSyncBatchActivity: async (input) => {
      calls.track.push(input);
      if (overrides.TrackSyncBatchActivity) return overrides.TrackSyncBatchActivity(input);
      return { completed: input.completed.ids.length, failed: input.failed.length };
    },
    RecordWindowCoverageActivity: async (input) => {
      calls.coverage.push(input);
      if (overrides.RecordWindowCoverageActivity) await overrides.RecordWindowCoverageActivity(input);
    },
    ListSyncTenantsActivity: async (input) => {
      calls.list.push(input);
      return overrides.ListSyncTenantsActivity ? overrides.ListSyncTenantsActivity(input) : { tenants: [] };
    },
    PlanTenantCoverageActivity: async (input) => {
      calls.plan.push(input);
      return overrides.PlanTenantCoverageActivity ? overrides.PlanTenantCoverageActivity(input) : plan(input, []);
    },
    ReconcileTenantActivity: async (input) => {
      calls.reconcile.push(input);
      return overrides.ReconcileTenantActivity ? overrides.ReconcileTenantActivity(input) : reconciled(input);
    },
    RecordReconciliationResendActivity: async (input) => {
      if (overrides.RecordReconciliationResendActivity) await overrides.RecordReconciliationResendActivity(input);
    },
  };
  return { activities, calls };
}

/** A worker of its own task queue for one test, running until `body` settles. */
async function withWorker<T>(activities: SyncWorkerActivities, body: (taskQueue: string) => Promise<T>): Promise<T> {
  queueSeq += 1;
  const taskQueue = `wf-tier-${queueSeq}`;
  const worker = await Worker.create({
    connection: env.nativeConnection,
    namespace: env.namespace ?? 'default',
    taskQueue,
    workflowBundle: bundle,
    activities,
  });
  return worker.runUntil(body(taskQueue));
}

/** Scripted pages of `SyncToStripeActivity`, answered in order whatever the input. */
function scriptedPages(pages: SyncToStripeResult[]): (input: SyncToStripeInput) => Promise<SyncToStripeResult> {
  const queue = [...pages];
  return async () => {
    const next = queue.shift();
    if (!next) throw ApplicationFailure.nonRetryable('no more scripted pages', 'ScriptExhausted');
    return next;
  };
}

/** Run ids of a workflow's chain of continue-as-new runs, first to last. */
async function runChain(workflowId: string, firstRunId: string): Promise<string[]> {
  const runs = [firstRunId];
  for (;;) {
    const history = await client.workflow.getHandle(workflowId, runs[runs.length - 1]).fetchHistory();
    const last = history.events?.[history.events.length - 1];
    const next = last?.workflowExecutionContinuedAsNewEventAttributes?.newExecutionRunId;
    if (!next) return runs;
    runs.push(next);
  }
}

function eventSyncInput(overrides: Partial<StripeEventSyncInput> = {}): StripeEventSyncInput {
  return { ...SCOPE, timeFrom: H4.start, timeTo: H4.end, windowMinutes: 60, forceRerun: false, trigger: 'manual', ...overrides };
}

describe('StripeEventSyncWorkflow', () => {
  it('pushes page after page until done, sweeps again for rows added behind the cursor, then records coverage', async () => {
    const { activities, calls } = stubActivities({
      SyncToStripeActivity: scriptedPages([
        page(['r1', 'r2'], { nextAfterId: 'r2', done: false }),
        page(['r4'], { nextAfterId: 'r4', done: true }),
        // Second sweep: r3 was armed behind the cursor while pass 1 ran.
        page(['r3'], { nextAfterId: 'r3', done: true }),
        // Third sweep finds nothing: the cursor stays unset and the window is finished.
        page([], { done: true }),
      ]),
    });

    const result = await withWorker(activities, (taskQueue) =>
      client.workflow.execute(STRIPE_EVENT_SYNC_WORKFLOW, {
        taskQueue,
        workflowId: `push-passes-${queueSeq}`,
        args: [eventSyncInput({ forceRerun: true })],
      }),
    );

    expect(calls.aggregate).toEqual([{ ...SCOPE, window: H4, customerId: undefined }]);
    // resendCompleted (force rerun) only on the first sweep; each sweep starts again from the beginning.
    expect(calls.push.map(({ afterId, resendCompleted }) => ({ afterId, resendCompleted }))).toEqual([
      { afterId: undefined, resendCompleted: true },
      { afterId: 'r2', resendCompleted: true },
      { afterId: undefined, resendCompleted: false },
      { afterId: undefined, resendCompleted: false },
    ]);
    expect(calls.push.every((call) => call.window.start === H4.start && call.tenantId === SCOPE.tenantId)).toBe(true);
    // Empty pages are not tracked.
    expect(calls.track.map((call) => call.completed.ids)).toEqual([['r1', 'r2'], ['r4'], ['r3']]);
    expect(calls.coverage).toHaveLength(1);
    expect(calls.coverage[0]).toMatchObject({ ...SCOPE, window: H4 });
    expect(Date.parse(calls.coverage[0].aggregatedAt)).not.toBeNaN();
    expect(result).toEqual({
      windows: [{ ...summary(H4), completed: 4, failed: 0, alreadyDelivered: 0, resent: 0 }],
    } satisfies StripeEventSyncResult);
  });

  it('stops after three sweeps even when each finds new rows', async () => {
    const { activities, calls } = stubActivities({
      SyncToStripeActivity: scriptedPages([
        page(['a'], { nextAfterId: 'a', done: true }),
        page(['b'], { nextAfterId: 'b', done: true }),
        page(['c'], { nextAfterId: 'c', done: true }),
      ]),
    });
    const result = (await withWorker(activities, (taskQueue) =>
      client.workflow.execute(STRIPE_EVENT_SYNC_WORKFLOW, { taskQueue, workflowId: `max-passes-${queueSeq}`, args: [eventSyncInput()] }),
    )) as StripeEventSyncResult;
    expect(calls.push).toHaveLength(3);
    expect(result.windows[0].completed).toBe(3);
  });

  it('continues as new with its progress under a small history budget, aggregating each window once', async () => {
    const { activities, calls } = stubActivities({
      SyncToStripeActivity: scriptedPages([
        page(['h4-1'], { nextAfterId: 'h4-1', done: false }),
        page(['h4-2'], { nextAfterId: 'h4-2', done: true }),
        page([], { done: true }),
        page(['h5-1'], { nextAfterId: 'h5-1', done: true }),
        page([], { done: true }),
      ]),
    });
    const workflowId = `continue-as-new-${queueSeq + 1}`;
    const { result, firstRunId } = await withWorker(activities, async (taskQueue) => {
      const handle = await client.workflow.start(STRIPE_EVENT_SYNC_WORKFLOW, {
        taskQueue,
        workflowId,
        args: [eventSyncInput({ timeTo: H5.end, historyEventBudget: 1 })],
      });
      return { result: (await handle.result()) as StripeEventSyncResult, firstRunId: handle.firstExecutionRunId };
    });

    const runs = await runChain(workflowId, firstRunId);
    // Budget 1: every page that does not finish the window, and every finished window but the last, ends a run.
    expect(runs.length).toBeGreaterThanOrEqual(4);
    expect(new Set(runs).size).toBe(runs.length);
    // Progress carried: no window aggregated twice, the cursor picked up where the previous run stopped.
    expect(calls.aggregate.map((call) => call.window)).toEqual([H4, H5]);
    expect(calls.push.map((call) => [call.window.start, call.afterId])).toEqual([
      [H4.start, undefined],
      [H4.start, 'h4-1'],
      [H4.start, undefined],
      [H5.start, undefined],
      [H5.start, undefined],
    ]);
    expect(calls.coverage.map((call) => call.window)).toEqual([H4, H5]);
    expect(result.windows).toEqual([
      { ...summary(H4), completed: 2, failed: 0, alreadyDelivered: 0, resent: 0 },
      { ...summary(H5), completed: 1, failed: 0, alreadyDelivered: 0, resent: 0 },
    ]);
  });

  it('records page n while page n+1 is pushed, and finishes recording before pushing page n+2', async () => {
    const log: string[] = [];
    let pushTwoStarted!: () => void;
    const pushTwo = new Promise<void>((resolve) => (pushTwoStarted = resolve));
    const pages = [
      page(['p1'], { nextAfterId: 'p1', done: false }),
      page(['p2'], { nextAfterId: 'p2', done: false }),
      page(['p3'], { nextAfterId: 'p3', done: true }),
      page([], { done: true }),
    ];
    let pushIndex = 0;
    const { activities } = stubActivities({
      SyncToStripeActivity: async () => {
        pushIndex += 1;
        log.push(`push ${pushIndex} start`);
        if (pushIndex === 2) pushTwoStarted();
        // Pushing page 2 takes a while, so an overlapped recording of page 1 ends first.
        if (pushIndex === 2) await new Promise((resolve) => setTimeout(resolve, 300));
        log.push(`push ${pushIndex} end`);
        return pages[pushIndex - 1];
      },
      TrackSyncBatchActivity: async (input) => {
        const id = input.completed.ids[0];
        log.push(`track ${id} start`);
        // Page 1's recording waits (at most 5 s) for page 2's push to begin: it only can if they overlap.
        if (id === 'p1') await Promise.race([pushTwo, new Promise((resolve) => setTimeout(resolve, 5_000))]);
        log.push(`track ${id} end`);
        return { completed: 1, failed: 0 };
      },
    });

    await withWorker(activities, (taskQueue) =>
      client.workflow.execute(STRIPE_EVENT_SYNC_WORKFLOW, { taskQueue, workflowId: `overlap-${queueSeq}`, args: [eventSyncInput()] }),
    );

    const at = (entry: string): number => {
      expect(log).toContain(entry);
      return log.indexOf(entry);
    };
    expect(at('push 2 start')).toBeLessThan(at('track p1 end'));
    expect(at('track p1 start')).toBeLessThan(at('push 2 end'));
    expect(at('track p1 end')).toBeLessThan(at('push 3 start'));
    expect(at('track p2 end')).toBeLessThan(at('push 4 start'));
    // The last page of a sweep is recorded before the next sweep starts.
    expect(at('track p3 end')).toBeLessThan(at('push 4 start'));
  });
});

describe('StripeTenantCoverageWorkflow', () => {
  const FIRED_AT = '2025-06-21T06:07:00.000Z';

  it('plans as of the hour the tick closed and syncs the planned windows in one child StripeEventSyncWorkflow', async () => {
    const { activities, calls } = stubActivities({
      PlanTenantCoverageActivity: async (input) => plan(input, [H4, H5]),
    });
    const workflowId = scheduledTenantSyncWorkflowId(SCOPE) + `-${queueSeq + 1}`;
    const input: TenantCoverageInput = { ...SCOPE, firedAt: FIRED_AT, lookbackHours: 2, maxWindows: 72 };

    const { result, child } = await withWorker(activities, async (taskQueue) => {
      const coverage = (await client.workflow.execute(STRIPE_TENANT_COVERAGE_WORKFLOW, {
        taskQueue,
        workflowId,
        args: [input],
      })) as TenantCoverageResult;
      const sync = (await client.workflow.getHandle(coverage.syncWorkflowId ?? 'none').result()) as StripeEventSyncResult;
      return { result: coverage, child: sync };
    });

    expect(calls.plan).toEqual([{ ...SCOPE, closedBy: '2025-06-21T06:00:00.000Z', lookbackHours: 2, maxWindows: 72 }]);
    expect(result).toEqual({
      ...SCOPE,
      plan: { ...SCOPE, windowMinutes: 60, undelivered: 2, beyondLimit: 0, freshnessLagSeconds: 0 },
      windowsSynced: 2,
      syncWorkflowId: `${workflowId}-2025-06-21T06:00:00.000Z`,
    });
    expect(calls.aggregate.map((call) => call.window)).toEqual([H4, H5]);
    // A scheduled run never re-sends what is delivered.
    expect(calls.push.every((call) => !call.resendCompleted)).toBe(true);
    expect(calls.coverage.map((call) => call.window)).toEqual([H4, H5]);
    expect(child.windows.map((window) => window.window)).toEqual([H4, H5]);
  });

  it('starts no sync when the plan has no window', async () => {
    const { activities, calls } = stubActivities({});
    const result = (await withWorker(activities, (taskQueue) =>
      client.workflow.execute(STRIPE_TENANT_COVERAGE_WORKFLOW, {
        taskQueue,
        workflowId: `coverage-empty-${queueSeq}`,
        args: [{ ...SCOPE, firedAt: FIRED_AT, lookbackHours: 2, maxWindows: 72 } satisfies TenantCoverageInput],
      }),
    )) as TenantCoverageResult;
    expect(result.windowsSynced).toBe(0);
    expect(result.syncWorkflowId).toBeUndefined();
    expect(calls.aggregate).toHaveLength(0);
  });
});

describe('StripeScheduledSyncWorkflow', () => {
  const FIRED_AT = '2025-06-21T06:05:00.000Z';

  function tenants(prefix: string, count: number) {
    return Array.from({ length: count }, (_, index) => ({
      tenantId: `${prefix}_${index + 1}`,
      environmentId: 'env_live',
      windowMinutes: 60,
    }));
  }

  /** Keyset paging over `all`, as the tenant listing does. */
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

  it('reads the tenants a page at a time, continuing as new between pages, and starts one coverage run per tenant', async () => {
    const all = tenants(`paged${queueSeq + 1}`, 5);
    const { activities, calls } = stubActivities({ ListSyncTenantsActivity: listing(all) });
    const workflowId = `fan-out-paged-${queueSeq + 1}`;

    const { result, runs, coverage } = await withWorker(activities, async (taskQueue) => {
      const handle = await client.workflow.start(STRIPE_SCHEDULED_SYNC_WORKFLOW, {
        taskQueue,
        workflowId,
        args: [{ firedAt: FIRED_AT, tenantPageSize: 2, maxConcurrentTenants: 2, lookbackHours: 3, maxWindowsPerRun: 5 } satisfies ScheduledSyncInput],
      });
      const fanOut = (await handle.result()) as ScheduledSyncResult;
      const tenantRuns = await Promise.all(
        all.map((tenant) => client.workflow.getHandle(scheduledTenantSyncWorkflowId(tenant)).result() as Promise<TenantCoverageResult>),
      );
      return { result: fanOut, runs: await runChain(workflowId, handle.firstExecutionRunId), coverage: tenantRuns };
    });

    expect(result).toEqual({ firedAt: FIRED_AT, started: 5, alreadyRunning: 0, failedToStart: 0, pages: 3 });
    expect(runs).toHaveLength(3);
    expect(calls.list).toEqual([
      { after: undefined, limit: 2 },
      { after: { tenantId: all[1].tenantId, environmentId: 'env_live' }, limit: 2 },
      { after: { tenantId: all[3].tenantId, environmentId: 'env_live' }, limit: 2 },
    ]);
    // Every tenant planned once, with the tick's settings carried over the continue-as-new.
    expect(calls.plan.map((call) => call.tenantId).sort()).toEqual(all.map((tenant) => tenant.tenantId).sort());
    expect(calls.plan.every((call) => call.closedBy === '2025-06-21T06:00:00.000Z' && call.lookbackHours === 3 && call.maxWindows === 5)).toBe(
      true,
    );
    expect(coverage.map((run) => run.tenantId)).toEqual(all.map((tenant) => tenant.tenantId));
  });

  it('isolates one tenant: a failing run and one still in progress leave the others to finish', async () => {
    const [ok, broken, busy] = tenants(`iso${queueSeq + 1}`, 3);
    let releaseBusy!: () => void;
    const busyReleased = new Promise<void>((resolve) => (releaseBusy = resolve));
    const { activities, calls } = stubActivities({
      ListSyncTenantsActivity: async () => ({ tenants: [ok, broken, busy] }),
      PlanTenantCoverageActivity: async (input) => {
        if (input.tenantId === broken.tenantId) throw ApplicationFailure.nonRetryable('tenant config unreadable', 'StubFailure');
        if (input.tenantId === busy.tenantId) await busyReleased;
        return plan(input, [H4]);
      },
    });

    const outcome = await withWorker(activities, async (taskQueue) => {
      // The busy tenant's previous run is still going when the tick fires.
      const previous = await client.workflow.start(STRIPE_TENANT_COVERAGE_WORKFLOW, {
        taskQueue,
        workflowId: scheduledTenantSyncWorkflowId(busy),
        args: [{ ...busy, firedAt: FIRED_AT, lookbackHours: 2, maxWindows: 72 } satisfies TenantCoverageInput],
      });
      const fanOut = (await client.workflow.execute(STRIPE_SCHEDULED_SYNC_WORKFLOW, {
        taskQueue,
        workflowId: `fan-out-isolated-${queueSeq}`,
        args: [{ firedAt: FIRED_AT } satisfies ScheduledSyncInput],
      })) as ScheduledSyncResult;
      const okRun = (await client.workflow.getHandle(scheduledTenantSyncWorkflowId(ok)).result()) as TenantCoverageResult;
      const brokenRun = await client.workflow
        .getHandle(scheduledTenantSyncWorkflowId(broken))
        .result()
        .then(
          () => undefined,
          (error: unknown) => error,
        );
      releaseBusy();
      const busyRun = (await previous.result()) as TenantCoverageResult;
      return { fanOut, okRun, brokenRun, busyRun };
    });

    expect(outcome.fanOut).toEqual({ firedAt: FIRED_AT, started: 2, alreadyRunning: 1, failedToStart: 0, pages: 1 });
    expect(outcome.okRun).toMatchObject({ tenantId: ok.tenantId, windowsSynced: 1 });
    expect(outcome.brokenRun).toBeInstanceOf(WorkflowFailedError);
    expect(outcome.busyRun).toMatchObject({ tenantId: busy.tenantId, windowsSynced: 1 });
    // The busy tenant was planned once (by its own run), not a second time by this tick.
    expect(calls.plan.filter((call) => call.tenantId === busy.tenantId)).toHaveLength(1);
    // The broken tenant never reached a sync; the two others each synced their window.
    expect(calls.aggregate.map((call) => call.tenantId).sort()).toEqual([busy.tenantId, ok.tenantId].sort());
  });

  it('runs as the fan-out when StripeEventSyncWorkflow is started bare (playbook §7)', async () => {
    const all = tenants(`bare${queueSeq + 1}`, 3);
    const { activities, calls } = stubActivities({ ListSyncTenantsActivity: listing(all) });
    const result = await withWorker(activities, async (taskQueue) => {
      const fanOut = (await client.workflow.execute(STRIPE_EVENT_SYNC_WORKFLOW, {
        taskQueue,
        workflowId: `bare-${queueSeq}`,
        args: [],
      })) as ScheduledSyncResult;
      await Promise.all(all.map((tenant) => client.workflow.getHandle(scheduledTenantSyncWorkflowId(tenant)).result()));
      return fanOut;
    });
    // Default page size (200): one page; every tenant started, as of the run's start.
    expect(result).toMatchObject({ started: 3, alreadyRunning: 0, failedToStart: 0, pages: 1 });
    expect(Date.parse(result.firedAt)).not.toBeNaN();
    expect(calls.list).toEqual([{ after: undefined, limit: 200 }]);
    expect(calls.plan.map((call) => call.tenantId).sort()).toEqual(all.map((tenant) => tenant.tenantId));
  });
});
