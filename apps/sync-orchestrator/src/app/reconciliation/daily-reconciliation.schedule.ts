import { Inject, Injectable, OnApplicationBootstrap } from '@nestjs/common';
import { Client, ScheduleAlreadyRunning, ScheduleOptions, ScheduleOverlapPolicy } from '@temporalio/client';
import { PinoLogger } from 'nestjs-pino';
import { ScheduledReconciliationInput, STRIPE_SCHEDULED_RECONCILIATION_WORKFLOW } from '@flexsync/sync-contracts';
import { TEMPORAL_CLIENT } from '../shared/temporal-client.token';
import { SyncOrchestratorConfig } from '../sync-orchestrator.config';

/**
 * The daily reconciliation (issue 9): at `STRIPE_RECONCILIATION_CRON` (default 03:30 UTC) the fan-out starts, per
 * tenant with sync enabled, a reconciliation of the last `STRIPE_RECONCILIATION_RANGE_DAYS` days against Stripe's
 * meter totals. Created at boot, or brought in line with the configuration if it exists, like the hourly schedule.
 */
@Injectable()
export class DailyReconciliationSchedule implements OnApplicationBootstrap {
  constructor(
    @Inject(TEMPORAL_CLIENT) private readonly temporal: Client,
    private readonly config: SyncOrchestratorConfig,
    private readonly logger: PinoLogger,
  ) {
    logger.setContext(DailyReconciliationSchedule.name);
  }

  desired(): Omit<ScheduleOptions, 'scheduleId'> {
    const input: ScheduledReconciliationInput = {
      rangeDays: this.config.STRIPE_RECONCILIATION_RANGE_DAYS,
      maxConcurrentTenants: this.config.STRIPE_RECONCILIATION_MAX_CONCURRENT_TENANTS,
      tenantPageSize: this.config.STRIPE_SYNC_TENANT_PAGE_SIZE,
    };
    return {
      spec: { cronExpressions: [this.config.STRIPE_RECONCILIATION_CRON] },
      action: {
        type: 'startWorkflow',
        workflowType: STRIPE_SCHEDULED_RECONCILIATION_WORKFLOW,
        workflowId: this.config.STRIPE_RECONCILIATION_SCHEDULE_ID,
        taskQueue: this.config.TEMPORAL_TASK_QUEUE,
        args: [input],
      },
      // The fan-out only starts tenant runs (abandoned, one id per tenant) and is short; a tick missed while the
      // orchestrator's Temporal was down is caught up once within a day, and the next day's run covers the range again.
      policies: { overlap: ScheduleOverlapPolicy.SKIP, catchupWindow: '1 day', pauseOnFailure: false },
    };
  }

  async onApplicationBootstrap(): Promise<void> {
    if (!this.config.STRIPE_RECONCILIATION_SCHEDULE_ENABLED) return;
    const scheduleId = this.config.STRIPE_RECONCILIATION_SCHEDULE_ID;
    const desired = this.desired();
    try {
      await this.temporal.schedule.create({ scheduleId, ...desired });
      this.logger.info({ schedule_id: scheduleId, cron: desired.spec.cronExpressions }, 'daily reconciliation schedule created');
    } catch (error) {
      if (!(error instanceof ScheduleAlreadyRunning)) throw error;
      await this.temporal.schedule.getHandle(scheduleId).update((previous) => ({ ...previous, ...desired }));
      this.logger.info({ schedule_id: scheduleId, cron: desired.spec.cronExpressions }, 'daily reconciliation schedule updated');
    }
  }
}
