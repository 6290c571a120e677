import { Inject, Injectable, OnApplicationBootstrap } from '@nestjs/common';
import { Client, ScheduleAlreadyRunning, ScheduleOptions, ScheduleOverlapPolicy } from '@temporalio/client';
import { PinoLogger } from 'nestjs-pino';
import { ScheduledSyncInput, STRIPE_SCHEDULED_SYNC_WORKFLOW } from '@flexsync/sync-contracts';
import { TEMPORAL_CLIENT } from '../shared/temporal-client.token';
import { SyncOrchestratorConfig } from '../sync-orchestrator.config';

/**
 * The one Temporal Schedule of the system ("hourly + grace"): at minute `STRIPE_SYNC_GRACE_PERIOD_MINUTES` of every
 * hour it starts the fan-out that syncs the closed windows of every tenant with sync enabled. Created at boot, or
 * brought in line with the configuration if it exists. Missed ticks (downtime) are caught up for a day, each syncing
 * the hour it was due for; a tick that would overlap a running one waits for it.
 */
@Injectable()
export class HourlySyncSchedule implements OnApplicationBootstrap {
  constructor(
    @Inject(TEMPORAL_CLIENT) private readonly temporal: Client,
    private readonly config: SyncOrchestratorConfig,
    private readonly logger: PinoLogger,
  ) {
    logger.setContext(HourlySyncSchedule.name);
  }

  desired(): Omit<ScheduleOptions, 'scheduleId'> {
    const input: ScheduledSyncInput = {
      lookbackHours: this.config.STRIPE_SYNC_LOOKBACK_HOURS,
      maxConcurrentTenants: this.config.STRIPE_SYNC_MAX_CONCURRENT_TENANTS,
    };
    return {
      spec: { cronExpressions: [`${this.config.STRIPE_SYNC_GRACE_PERIOD_MINUTES} * * * *`] },
      action: {
        type: 'startWorkflow',
        workflowType: STRIPE_SCHEDULED_SYNC_WORKFLOW,
        workflowId: this.config.STRIPE_SYNC_SCHEDULE_ID,
        taskQueue: this.config.TEMPORAL_TASK_QUEUE,
        args: [input],
      },
      policies: { overlap: ScheduleOverlapPolicy.BUFFER_ONE, catchupWindow: '1 day', pauseOnFailure: false },
    };
  }

  async onApplicationBootstrap(): Promise<void> {
    if (!this.config.STRIPE_SYNC_SCHEDULE_ENABLED) return;
    const scheduleId = this.config.STRIPE_SYNC_SCHEDULE_ID;
    const desired = this.desired();
    try {
      await this.temporal.schedule.create({ scheduleId, ...desired });
      this.logger.info({ schedule_id: scheduleId, cron: desired.spec.cronExpressions }, 'hourly sync schedule created');
    } catch (error) {
      if (!(error instanceof ScheduleAlreadyRunning)) throw error;
      await this.temporal.schedule.getHandle(scheduleId).update((previous) => ({ ...previous, ...desired }));
      this.logger.info({ schedule_id: scheduleId, cron: desired.spec.cronExpressions }, 'hourly sync schedule updated');
    }
  }
}
