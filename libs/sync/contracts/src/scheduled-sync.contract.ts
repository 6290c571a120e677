import type { StripeSyncActivities } from './stripe-sync.contract';

/** The hourly fan-out: one run per schedule tick syncs the closed windows of every tenant with sync enabled. */
export const STRIPE_SCHEDULED_SYNC_WORKFLOW = 'StripeScheduledSyncWorkflow';

/** The Temporal Schedule the orchestrator owns ("hourly + grace"). */
export const STRIPE_SYNC_SCHEDULE_ID = 'stripe-sync-hourly';

/** Hours re-aggregated at each tick: the hour that just closed plus the one before, so late usage is corrected. */
export const DEFAULT_SCHEDULED_LOOKBACK_HOURS = 2;
export const DEFAULT_SCHEDULED_MAX_CONCURRENT_TENANTS = 10;

export interface ScheduledSyncInput {
  /** Hours before the last closed hour boundary that are (re-)synced; default 2. */
  lookbackHours?: number;
  /** Tenant syncs run in parallel at most; default 10. */
  maxConcurrentTenants?: number;
  /** The tick being served; default: the schedule's scheduled time, else the run's start. Set it to backfill a past hour. */
  firedAt?: string;
}

/** A tenant+environment the scheduler syncs. */
export interface SyncTenant {
  tenantId: string;
  environmentId: string;
  windowMinutes: number;
}

export interface ScheduledTenantSync {
  tenantId: string;
  environmentId: string;
  workflowId: string;
  timeFrom: string;
  timeTo: string;
  /** `completed`: the tenant's run finished; `already_running`: a run for this tick was in progress; `failed`: it failed; `nothing_closed`: no window closed in the span. */
  outcome: 'completed' | 'already_running' | 'failed' | 'nothing_closed';
  error?: string;
}

export interface ScheduledSyncResult {
  firedAt: string;
  tenants: ScheduledTenantSync[];
}

export interface ScheduledSyncActivities {
  ListSyncTenantsActivity(): Promise<SyncTenant[]>;
}

/** Every activity the `stripe-sync` worker registers. */
export type SyncWorkerActivities = StripeSyncActivities & ScheduledSyncActivities;
