import { randomUUID } from 'node:crypto';
import { ScheduleOverlapPolicy } from '@temporalio/client';
import { dailyReconciliationWorkflowId, STRIPE_SCHEDULED_RECONCILIATION_WORKFLOW } from '@flexsync/sync-contracts';
import { eventually, HOUR_MS, hourAgo, uniqueTenant } from '@flexsync/testing';
import { ReconciliationStack } from '../../testing/reconciliation-stack';
import { bearerFor, startOrchestrator } from '../../testing/sync-orchestrator.harness';

const LAG_SECONDS = 1;

/**
 * The daily reconciliation schedule on the real stack: created at boot by the orchestrator (which owns it, like the
 * hourly one), brought in line on restart, and one real run through Temporal's schedule trigger: the fan-out starts
 * the tenant's reconciliation on a real worker, and the API shows its verdicts.
 */
describe('the daily reconciliation schedule (real Temporal, worker, Postgres, ClickHouse; Stripe emulator)', () => {
  const scheduleId = `stripe-reconciliation-daily-test-${randomUUID()}`;
  let stack: ReconciliationStack;

  beforeAll(async () => {
    stack = await ReconciliationStack.start({
      ingestionLagSeconds: LAG_SECONDS,
      emulatorIngestionDelayMs: 200,
      orchestratorEnv: {
        STRIPE_RECONCILIATION_SCHEDULE_ENABLED: 'true',
        STRIPE_RECONCILIATION_SCHEDULE_ID: scheduleId,
        STRIPE_RECONCILIATION_RANGE_DAYS: '1',
      },
    });
  }, 120_000);

  afterAll(async () => {
    await stack?.orchestrator.temporal.schedule
      .getHandle(scheduleId)
      .delete()
      .catch(() => undefined);
    await stack?.close();
  });

  it('is created at boot firing daily at 03:30 UTC by default, with the fan-out, its settings and overlap policy', async () => {
    const description = await stack.orchestrator.temporal.schedule.getHandle(scheduleId).describe();

    expect(description.spec.calendars).toEqual([
      expect.objectContaining({ hour: [{ start: 3, end: 3, step: 1 }], minute: [{ start: 30, end: 30, step: 1 }] }),
    ]);
    expect(description.action).toMatchObject({
      type: 'startWorkflow',
      workflowType: STRIPE_SCHEDULED_RECONCILIATION_WORKFLOW,
      taskQueue: stack.taskQueue,
      args: [{ rangeDays: 1, maxConcurrentTenants: 4, tenantPageSize: 200 }],
    });
    expect(description.policies.overlap).toBe(ScheduleOverlapPolicy.SKIP);
  });

  it('is brought in line with the configuration when the orchestrator restarts with another time', async () => {
    const restarted = await startOrchestrator({
      STRIPE_RECONCILIATION_SCHEDULE_ENABLED: 'true',
      STRIPE_RECONCILIATION_SCHEDULE_ID: scheduleId,
      STRIPE_RECONCILIATION_RANGE_DAYS: '1',
      STRIPE_RECONCILIATION_CRON: '15 4 * * *',
      TEMPORAL_TASK_QUEUE: stack.taskQueue,
    });
    await restarted.close();

    const description = await stack.orchestrator.temporal.schedule.getHandle(scheduleId).describe();
    expect(description.spec.calendars).toEqual([
      expect.objectContaining({ hour: [{ start: 4, end: 4, step: 1 }], minute: [{ start: 15, end: 15, step: 1 }] }),
    ]);
  });

  it('runs: the fan-out reconciles each enabled tenant and the API shows the daily run’s verdicts', async () => {
    const tenant = uniqueTenant('recondaily');
    await stack.seedTenant(tenant, { meters: { meter_api: 'api_calls' }, customers: { client_a: 'cus_a' } });
    const window = hourAgo(2);
    await stack.insertUsage(tenant, [{ customerId: 'client_a', meterId: 'meter_api', quantity: '9', at: window }]);
    const auth = await bearerFor(tenant);
    const range = { time_from: window.toISOString(), time_to: new Date(window.getTime() + HOUR_MS).toISOString() };
    const synced = await stack.orchestrator.http.post('/v1/stripe/sync/manual').set('Authorization', auth).send(range);
    await stack.finished(synced.body.workflow_id);
    await new Promise((resolve) => setTimeout(resolve, LAG_SECONDS * 1000 + 300));

    await stack.orchestrator.temporal.schedule.getHandle(scheduleId).trigger();
    await eventually(
      async () => {
        const description = await stack.orchestrator.temporal.workflow
          .getHandle(dailyReconciliationWorkflowId(tenant))
          .describe()
          .catch(() => undefined);
        return description?.status.name === 'COMPLETED' ? true : undefined;
      },
      { timeoutMs: 60_000, intervalMs: 250, what: 'the tenant’s daily reconciliation to finish' },
    );
    const response = await stack.orchestrator.http.get('/v1/stripe/sync/reconciliation').set('Authorization', auth).query(range);

    expect(response.body.totals).toEqual({ match: 1, drift: 0, pending: 0, unknown_outcome: 0 });
    expect(response.body.last_run).toMatchObject({ trigger: 'daily', status: 'completed' });
    expect(Date.parse(response.body.last_run.time_to) - Date.parse(response.body.last_run.time_from)).toBe(24 * HOUR_MS);
    expect(response.body.cells[0]).toMatchObject({ customer_id: 'client_a', status: 'match', stripe_value: '9' });
  });
});
