import { randomUUID } from 'node:crypto';
import type { WorkflowBundleWithSourceMap } from '@temporalio/worker';
import type { ScheduledSyncInput, ScheduledSyncResult, SyncWorkerActivities } from '@flexsync/sync-contracts';
import { STRIPE_SCHEDULED_SYNC_WORKFLOW } from '@flexsync/sync-contracts';
import { bundleSyncWorkflows, createSyncWorker, SyncWorkerHandle } from '@flexsync/temporal';
import { eventually } from '@flexsync/testing';
import type { SyncHarness } from './sync-harness';

/** The pipeline's activities with the tenant list narrowed to a spec's tenants (the shared database holds every spec's). */
export function onlyTenants(activities: SyncWorkerActivities, tenantIds: Iterable<string>): SyncWorkerActivities {
  const mine = new Set(tenantIds);
  return {
    ...activities,
    ListSyncTenantsActivity: async (input) => {
      const page = await activities.ListSyncTenantsActivity(input);
      return { ...page, tenants: page.tenants.filter((tenant) => mine.has(tenant.tenantId)) };
    },
  };
}

/**
 * Drives the scheduled sync the way the Temporal Schedule does, on a task queue of its own with a worker that keeps
 * running between ticks (tenant runs outlive the fan-out that started them). `stopWorker`/`startWorker` stand for
 * a worker outage; ticks are fan-out runs with an explicit `firedAt`, so hours pass without waiting for them.
 */
export class ScheduleDriver {
  readonly taskQueue = `stripe-sync-schedule-${randomUUID()}`;
  private running?: { handle: SyncWorkerHandle; done: Promise<void> };

  private constructor(
    private readonly harness: SyncHarness,
    private readonly activities: SyncWorkerActivities,
    private readonly bundle: WorkflowBundleWithSourceMap,
  ) {}

  static async start(
    harness: SyncHarness,
    activities: SyncWorkerActivities,
    bundle?: WorkflowBundleWithSourceMap,
  ): Promise<ScheduleDriver> {
    const driver = new ScheduleDriver(harness, activities, bundle ?? (await bundleSyncWorkflows()));
    await driver.startWorker();
    return driver;
  }

  async startWorker(): Promise<void> {
    if (this.running) return;
    const handle = await createSyncWorker({
      address: this.harness.env.TEMPORAL_ADDRESS,
      namespace: this.harness.env.TEMPORAL_NAMESPACE,
      taskQueue: this.taskQueue,
      workflowBundle: this.bundle,
      activities: this.activities,
      shutdownGraceTime: '1 second',
    });
    this.running = { handle, done: handle.worker.run() };
  }

  async stopWorker(): Promise<void> {
    const running = this.running;
    if (!running) return;
    this.running = undefined;
    running.handle.worker.shutdown();
    await running.done;
    await running.handle.connection.close();
  }

  /** Starts one tick's fan-out without waiting (e.g. while the worker is down, as a buffered schedule action). */
  async startTick(input: ScheduledSyncInput): Promise<string> {
    const workflowId = `test-tick-${randomUUID()}`;
    await this.harness.temporal.workflow.start(STRIPE_SCHEDULED_SYNC_WORKFLOW, {
      taskQueue: this.taskQueue,
      workflowId,
      args: [input],
      workflowExecutionTimeout: '5 minutes',
    });
    return workflowId;
  }

  /** Runs one tick's fan-out to completion (the tenant runs it started may still be going). */
  async tick(input: ScheduledSyncInput): Promise<ScheduledSyncResult> {
    return this.harness.temporal.workflow.getHandle(await this.startTick(input)).result() as Promise<ScheduledSyncResult>;
  }

  /** Waits until nothing runs on the queue any more: every fan-out, tenant run and sync has finished. */
  async settle(timeoutMs = 60_000): Promise<void> {
    // Visibility trails the server by a moment: "nothing running" counts once it has been seen a few times in a row.
    let quiet = 0;
    await eventually(
      async () => {
        quiet = (await this.anyRunning()) ? 0 : quiet + 1;
        return quiet >= 4 ? true : undefined;
      },
      { timeoutMs, intervalMs: 250, what: 'every scheduled run to finish' },
    );
  }

  private async anyRunning(): Promise<boolean> {
    for await (const _running of this.harness.temporal.workflow.list({ query: this.runningQuery() })) return true;
    return false;
  }

  private runningQuery(): string {
    return `TaskQueue = "${this.taskQueue}" AND ExecutionStatus = "Running"`;
  }

  async close(): Promise<void> {
    for await (const running of this.harness.temporal.workflow.list({ query: this.runningQuery() })) {
      await this.harness.temporal.workflow
        .getHandle(running.workflowId)
        .terminate('test cleanup')
        .catch(() => undefined);
    }
    await this.stopWorker();
  }
}
