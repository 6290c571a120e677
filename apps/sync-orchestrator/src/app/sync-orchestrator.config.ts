import { IsBoolean, IsInt, IsString, Matches, Max, Min } from 'class-validator';
import { AuthEnvConfig } from '@flexsync/auth';
import { TemporalAddressField, TemporalNamespaceField, TemporalTaskQueueField, WithTemporalSecurityFields } from '@flexsync/temporal';
import {
  DEFAULT_RECONCILIATION_MAX_CONCURRENT_TENANTS,
  DEFAULT_SCHEDULED_LOOKBACK_HOURS,
  DEFAULT_SCHEDULED_MAX_CONCURRENT_TENANTS,
  DEFAULT_SCHEDULED_MAX_WINDOWS_PER_RUN,
  DEFAULT_SCHEDULED_TENANT_PAGE_SIZE,
  RECONCILIATION_MAX_RANGE_DAYS,
  STRIPE_RECONCILIATION_SCHEDULE_ID,
  STRIPE_SYNC_SCHEDULE_ID,
  STRIPE_SYNC_TASK_QUEUE,
} from '@flexsync/sync-contracts';
import { BoolFromEnv, IntFromEnv } from '@flexsync/runtime';

/** Environment of sync-orchestrator, validated before Nest starts. */
export class SyncOrchestratorConfig extends WithTemporalSecurityFields(AuthEnvConfig) {
  override PORT = 8080;

  @TemporalAddressField()
  TEMPORAL_ADDRESS!: string;

  @TemporalNamespaceField()
  TEMPORAL_NAMESPACE = 'default';

  @TemporalTaskQueueField()
  TEMPORAL_TASK_QUEUE = STRIPE_SYNC_TASK_QUEUE;

  /** Off leaves the hourly schedule as it is (e.g. a second orchestrator replica, or tests). */
  @BoolFromEnv()
  @IsBoolean()
  STRIPE_SYNC_SCHEDULE_ENABLED = true;

  @IsString()
  @Matches(/^[A-Za-z0-9_.-]{1,200}$/, { message: '$property must be letters, digits, _ . -' })
  STRIPE_SYNC_SCHEDULE_ID = STRIPE_SYNC_SCHEDULE_ID;

  /** Hours re-aggregated at each tick even when delivered (the hour that just closed and the ones before), so late usage is corrected. */
  @IntFromEnv()
  @IsInt()
  @Min(1)
  @Max(48)
  STRIPE_SYNC_LOOKBACK_HOURS = DEFAULT_SCHEDULED_LOOKBACK_HOURS;

  @IntFromEnv()
  @IsInt()
  @Min(1)
  @Max(200)
  STRIPE_SYNC_MAX_CONCURRENT_TENANTS = DEFAULT_SCHEDULED_MAX_CONCURRENT_TENANTS;

  /** Tenants the fan-out reads per page before it continues as new. */
  @IntFromEnv()
  @IsInt()
  @Min(1)
  @Max(1000)
  STRIPE_SYNC_TENANT_PAGE_SIZE = DEFAULT_SCHEDULED_TENANT_PAGE_SIZE;

  /** Windows one tenant's scheduled run syncs at most; a longer backlog goes on at the next tick. */
  @IntFromEnv()
  @IsInt()
  @Min(1)
  @Max(2000)
  STRIPE_SYNC_MAX_WINDOWS_PER_RUN = DEFAULT_SCHEDULED_MAX_WINDOWS_PER_RUN;

  /** Minutes after the hour at which the hourly sync fires ("hourly + grace"). */
  @IntFromEnv()
  @IsInt()
  @Min(0)
  @Max(59)
  STRIPE_SYNC_GRACE_PERIOD_MINUTES = 5;

  /** Manual syncs and batch retries that may run at once per tenant and environment; more answer 429 with Retry-After. */
  @IntFromEnv()
  @IsInt()
  @Min(1)
  @Max(100)
  STRIPE_MANUAL_SYNC_MAX_RUNNING = 5;

  /** Tenant environments labelled in the per-tenant freshness gauge (the stalest first), bounding the series count. */
  @IntFromEnv()
  @IsInt()
  @Min(1)
  @Max(1_000)
  STRIPE_SYNC_METRICS_MAX_TENANTS = 50;

  /** Off leaves the daily reconciliation schedule as it is (e.g. a second orchestrator replica, or tests). */
  @BoolFromEnv()
  @IsBoolean()
  STRIPE_RECONCILIATION_SCHEDULE_ENABLED = true;

  @IsString()
  @Matches(/^[A-Za-z0-9_.-]{1,200}$/, { message: '$property must be letters, digits, _ . -' })
  STRIPE_RECONCILIATION_SCHEDULE_ID = STRIPE_RECONCILIATION_SCHEDULE_ID;

  /** When the daily reconciliation fires (five-field cron, UTC); default 03:30 every day. */
  @IsString()
  @Matches(/^\S+( \S+){4}$/, { message: '$property must be a five-field cron expression' })
  STRIPE_RECONCILIATION_CRON = '30 3 * * *';

  /** Days reconciled back from the last closed hour at each daily run (Stripe keeps meter events 35 days). */
  @IntFromEnv()
  @IsInt()
  @Min(1)
  @Max(RECONCILIATION_MAX_RANGE_DAYS)
  STRIPE_RECONCILIATION_RANGE_DAYS = RECONCILIATION_MAX_RANGE_DAYS;

  /** Tenant reconciliations the daily fan-out starts at once. */
  @IntFromEnv()
  @IsInt()
  @Min(1)
  @Max(100)
  STRIPE_RECONCILIATION_MAX_CONCURRENT_TENANTS = DEFAULT_RECONCILIATION_MAX_CONCURRENT_TENANTS;
}
