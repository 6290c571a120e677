import { Inject, Injectable, OnApplicationBootstrap } from '@nestjs/common';
import { Client, ScheduleAlreadyRunning, ScheduleOptions, ScheduleOverlapPolicy } from '@temporalio/client';
import { PinoLogger } from 'nestjs-pino';
import { ScheduledSyncInput, STRIPE_SCHEDULED_SYNC_WORKFLOW } from '@flexsync/sync-contracts';
import { TEMPORAL_CLIENT } from '../shared/temporal-client.token';
import { SyncOrchestratorConfig } from '../sync-orchestrator.config';

/**
 * The one Temporal Schedule of the system ("hourly + grace"): at minute `STRIPE_SYNC_GRACE_PERIOD_MINUTES` of every
 * hour it starts the fan-out that starts, per tenant with sync enabled, a run syncing every closed window not yet
 * fully delivered. Coverage, not ticks, decides what is synced, so a missed or skipped tick loses nothing: the next
 * one syncs it. Created at boot, or brought in line with the configuration if it exists.
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
      tenantPageSize: this.config.STRIPE_SYNC_TENANT_PAGE_SIZE,
      maxWindowsPerRun: this.config.STRIPE_SYNC_MAX_WINDOWS_PER_RUN,
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
      // The fan-out only starts tenant runs (abandoned children, one id per tenant) and never waits for them, so it
      // is short and a slow tenant cannot hold it. BUFFER_ONE: a tick that fires while a fan-out still runs waits
      // for it instead of racing it over the same tenant pages; more ticks than one buffered are dropped, which
      // loses nothing because every tick syncs everything not yet delivered. Likewise after downtime the catch-up
      // collapses to one run; the day's window only says how late a missed tick may still fire.
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
