import type { ReconciliationActivities } from './reconciliation.contract';
import type { StripeSyncActivities } from './stripe-sync.contract';
import type { SyncWindow } from './sync-window';
import type { TenantScope } from '@flexsync/tenancy';

/** The hourly fan-out: one run per schedule tick starts the coverage run of every tenant with sync enabled. */
export const STRIPE_SCHEDULED_SYNC_WORKFLOW = 'StripeScheduledSyncWorkflow';

/** One tenant+environment's scheduled run: syncs its closed windows not yet fully delivered, oldest first. */
export const STRIPE_TENANT_COVERAGE_WORKFLOW = 'StripeTenantCoverageWorkflow';

/** The Temporal Schedule the orchestrator owns ("hourly + grace"). */
export const STRIPE_SYNC_SCHEDULE_ID = 'stripe-sync-hourly';

/**
 * Hours re-aggregated at each tick even when their windows are delivered: the hour that just closed plus the one
 * before, so usage that lands late is corrected.
 */
export const DEFAULT_SCHEDULED_LOOKBACK_HOURS = 2;
/** Tenant runs the fan-out starts at once. */
export const DEFAULT_SCHEDULED_MAX_CONCURRENT_TENANTS = 10;
/** Tenants read per page of the fan-out; it continues as new between pages, so no payload holds every tenant. */
export const DEFAULT_SCHEDULED_TENANT_PAGE_SIZE = 200;
/** Windows one tenant run syncs at most; a longer backlog goes on at the next tick (three days of hours per tick). */
export const DEFAULT_SCHEDULED_MAX_WINDOWS_PER_RUN = 72;

/** The workflows' name for `TenantScope` (defined once, in `@flexsync/tenancy`). */
export type TenantScopeIds = TenantScope;

export interface ScheduledSyncInput {
  /** Hours before the last closed hour boundary that are re-synced even when delivered; default 2. */
  lookbackHours?: number;
  /** Tenant runs started at once; default 10. */
  maxConcurrentTenants?: number;
  /** Tenants per page; default 200. */
  tenantPageSize?: number;
  /** Windows per tenant run at most; default 72. */
  maxWindowsPerRun?: number;
  /** The tick being served; default: the schedule's scheduled time, else the run's start. Windows closed by then are synced. */
  firedAt?: string;
  /** Set by the workflow itself when it continues as new with the next page; callers leave it out. */
  continuation?: ScheduledSyncContinuation;
}

export interface ScheduledSyncContinuation {
  after: TenantScopeIds;
  tally: ScheduledSyncTally;
}

/** A tenant+environment the scheduler syncs. */
export interface SyncTenant extends TenantScopeIds {
  windowMinutes: number;
}

export interface ListSyncTenantsInput {
  /** Keyset cursor: tenants strictly after this (tenant, environment) pair. */
  after?: TenantScopeIds;
  limit: number;
}

export interface SyncTenantPage {
  tenants: SyncTenant[];
  /** The last pair read, whatever the caller keeps of the page; absent when the list is exhausted. */
  next?: TenantScopeIds;
}

/** What a fan-out did, in counts: per-tenant detail lives in each tenant run (workflow id from `scheduledTenantSyncWorkflowId`). */
export interface ScheduledSyncTally {
  /** Tenant runs started by this tick. */
  started: number;
  /** Tenants whose previous run is still going: it goes on, this tick does not wait for it or start a second one. */
  alreadyRunning: number;
  /** Tenant runs Temporal refused to start (logged by the worker; the next tick tries again). */
  failedToStart: number;
  pages: number;
}

export interface ScheduledSyncResult extends ScheduledSyncTally {
  firedAt: string;
}

export interface TenantCoverageInput extends TenantScopeIds {
  firedAt: string;
  lookbackHours: number;
  maxWindows: number;
}

export interface PlanTenantCoverageInput extends TenantScopeIds {
  /** Windows that closed at or before this instant are due. */
  closedBy: string;
  lookbackHours: number;
  maxWindows: number;
}

/** A tenant's coverage at one instant, as the scheduler and the coverage endpoint see it. */
export interface TenantCoverage extends TenantScopeIds {
  windowMinutes: number;
  /** Closed windows within Stripe's age limit not yet fully delivered. */
  undelivered: number;
  /** Closed windows never fully delivered that are now older than Stripe accepts: reported, no longer sent. */
  beyondLimit: number;
  /** Start of the oldest closed window within the limit not yet fully delivered. */
  oldestUndelivered?: string;
  /** Seconds from the end of the newest window with everything before it delivered to `closedBy`; the time since the coverage is whole. */
  freshnessLagSeconds: number;
}

export interface TenantCoveragePlan extends TenantCoverage {
  /** The windows to sync in this run, oldest first (undelivered ones, then the look-back's), at most `maxWindows`. */
  windows: SyncWindow[];
}

export interface TenantCoverageResult extends TenantScopeIds {
  plan: Omit<TenantCoveragePlan, 'windows'>;
  windowsSynced: number;
  syncWorkflowId?: string;
}

export interface RecordWindowCoverageInput extends TenantScopeIds {
  window: SyncWindow;
  /** When the aggregation that covered the whole window began (workflow time); counts only if after the window closed. */
  aggregatedAt: string;
}

export interface ScheduledSyncActivities {
  ListSyncTenantsActivity(input: ListSyncTenantsInput): Promise<SyncTenantPage>;
  PlanTenantCoverageActivity(input: PlanTenantCoverageInput): Promise<TenantCoveragePlan>;
  RecordWindowCoverageActivity(input: RecordWindowCoverageInput): Promise<void>;
}

/** Every activity the `stripe-sync` worker registers. */
export type SyncWorkerActivities = StripeSyncActivities & ScheduledSyncActivities & ReconciliationActivities;
