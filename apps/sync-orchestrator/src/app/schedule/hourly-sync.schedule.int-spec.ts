import { randomUUID } from 'node:crypto';
import { Client, ScheduleOverlapPolicy } from '@temporalio/client';
import { STRIPE_SCHEDULED_SYNC_WORKFLOW } from '@flexsync/sync-contracts';
import { connectTemporalClient } from '@flexsync/temporal';
import { eventually, stackEnv } from '@flexsync/testing';
import { startOrchestrator } from '../../testing/sync-orchestrator.harness';

describe('the hourly sync schedule (real Temporal)', () => {
  let temporal: Client;
  const scheduleId = `stripe-sync-hourly-test-${randomUUID()}`;
  const taskQueue = `stripe-sync-schedule-test-${randomUUID()}`;

  beforeAll(async () => {
    const env = stackEnv();
    temporal = await connectTemporalClient({ address: env.TEMPORAL_ADDRESS, namespace: env.TEMPORAL_NAMESPACE });
  });

  afterAll(async () => {
    await temporal.schedule
      .getHandle(scheduleId)
      .delete()
      .catch(() => undefined);
    await temporal.connection.close();
  });

  async function boot(grace: string): Promise<void> {
    const orchestrator = await startOrchestrator({
      STRIPE_SYNC_SCHEDULE_ENABLED: 'true',
      STRIPE_SYNC_SCHEDULE_ID: scheduleId,
      TEMPORAL_TASK_QUEUE: taskQueue,
      STRIPE_SYNC_GRACE_PERIOD_MINUTES: grace,
    });
    await orchestrator.close();
  }

  it('is created at boot firing at the grace minute of every hour, with overlap and catch-up policies', async () => {
    await boot('5');
    const description = await temporal.schedule.getHandle(scheduleId).describe();
    expect(description.spec.calendars).toEqual([expect.objectContaining({ minute: [{ start: 5, end: 5, step: 1 }] })]);
    expect(description.action).toMatchObject({
      type: 'startWorkflow',
      workflowType: STRIPE_SCHEDULED_SYNC_WORKFLOW,
      taskQueue,
      args: [{ lookbackHours: 2, maxConcurrentTenants: 10, tenantPageSize: 200, maxWindowsPerRun: 72 }],
    });
    expect(description.policies.overlap).toBe(ScheduleOverlapPolicy.BUFFER_ONE);
    expect(description.policies.catchupWindow).toBe(86_400_000);
  });

  it('is brought in line with the configuration when the orchestrator restarts with another grace period', async () => {
    await boot('1');
    const description = await temporal.schedule.getHandle(scheduleId).describe();
    expect(description.spec.calendars).toEqual([expect.objectContaining({ minute: [{ start: 1, end: 1, step: 1 }] })]);
  });

  it('starts the scheduled fan-out workflow when it fires', async () => {
    const handle = temporal.schedule.getHandle(scheduleId);
    await handle.trigger();
    const action = await eventually(
      async () => {
        const description = await handle.describe();
        return description.info.recentActions[0] ?? description.info.runningActions[0];
      },
      { timeoutMs: 20_000, what: 'the schedule to start a run' },
    );
    const run = temporal.workflow.getHandle(action.action.workflow.workflowId, action.action.workflow.firstExecutionRunId);
    const started = await run.describe();
    expect(started.type).toBe(STRIPE_SCHEDULED_SYNC_WORKFLOW);
    expect(started.taskQueue).toBe(taskQueue);
    await run.terminate('test: no worker polls this queue');
  });
});
