import type { ScheduledSyncTally, TenantScopeIds } from './scheduled-sync.contract';
import type { SyncWindow } from './sync-window';
import { tenantWorkflowId } from './sync-workflow-id';

/** One tenant+environment's reconciliation over a range: settle, judge, store the report, re-send what it re-armed. */
export const STRIPE_RECONCILIATION_WORKFLOW = 'StripeReconciliationWorkflow';

/** The daily fan-out: one reconciliation run per tenant+environment with sync enabled. */
export const STRIPE_SCHEDULED_RECONCILIATION_WORKFLOW = 'StripeScheduledReconciliationWorkflow';

/** The Temporal Schedule of the daily reconciliation, owned by the orchestrator like the hourly one. */
export const STRIPE_RECONCILIATION_SCHEDULE_ID = 'stripe-reconciliation-daily';

/** Stripe keeps meter events at most 35 days old, so no reconciliation range is longer. */
export const RECONCILIATION_MAX_RANGE_DAYS = 35;

/** Tenant runs the daily fan-out starts at once. */
export const DEFAULT_RECONCILIATION_MAX_CONCURRENT_TENANTS = 4;

export const RECONCILIATION_STATUS_NAMES = ['match', 'drift', 'pending', 'unknown_outcome'] as const;
export type ReconciliationStatusName = (typeof RECONCILIATION_STATUS_NAMES)[number];

/** What started a reconciliation: the API, the daily schedule, or a tenant's hourly run over the windows it synced. */
export type ReconciliationTrigger = 'api' | 'daily' | 'hourly';

export interface ReconcileTenantInput extends TenantScopeIds {
  /** ISO-8601; widened outwards to whole windows. */
  timeFrom: string;
  timeTo: string;
  customerId?: string;
  meterId?: string;
  trigger: ReconciliationTrigger;
  /** The caller's token `sub` (API runs), for the audit trail. */
  requestedBy?: string;
  /** When the run began (workflow time), recorded with the report. */
  startedAt: string;
}

/** What one reconciliation found; per-cell detail is stored in Postgres, never carried through Temporal. */
export interface ReconciliationSummary extends TenantScopeIds {
  runId: string;
  status: 'completed' | 'failed';
  timeFrom: string;
  timeTo: string;
  totals: Record<ReconciliationStatusName, number>;
  /** Σ |Stripe − ClickHouse| over drift cells, in Stripe units (exact decimal). */
  driftUnits: string;
  /** Ledger rows of the range still `unknown` after settling. */
  unknownOutcomes: number;
  /** Unknown rows Stripe's totals showed counted: now completed. */
  settledCompleted: number;
  /** Unknown rows Stripe never counted, past its dedupe: re-armed once under a new identifier. */
  reidentified: number;
  /** Windows holding re-armed rows: the workflow syncs them. */
  windowsToResend: SyncWindow[];
  /** Why the run could not reconcile (no usable Stripe key, open circuit); set when `status` is failed. */
  error?: string;
}

export interface ReconciliationInput extends Omit<ReconcileTenantInput, 'startedAt'> {
  /** The tenant's window size, for the re-send of re-armed rows. */
  windowMinutes?: number;
}

export interface ReconciliationResult extends ReconciliationSummary {
  /** The sync that re-sent re-armed rows, when there were any. */
  resendWorkflowId?: string;
}

export interface RecordResendInput extends TenantScopeIds {
  runId: string;
  resendWorkflowId: string;
}

export interface ScheduledReconciliationInput {
  /** Days reconciled back from the tick's last closed hour; default and maximum 35. */
  rangeDays?: number;
  /** Tenant runs started at once; default 4. */
  maxConcurrentTenants?: number;
  /** Tenants per page of the fan-out; default 200. */
  tenantPageSize?: number;
  /** The tick being served; default: the schedule's scheduled time, else the run's start. */
  firedAt?: string;
  /** Set by the workflow itself when it continues as new with the next page; callers leave it out. */
  continuation?: { after: TenantScopeIds; tally: ScheduledReconciliationTally };
}

/** The daily fan-out counts what the hourly one does (`alreadyRunning`: a previous daily run still going on). */
export type ScheduledReconciliationTally = ScheduledSyncTally;

export interface ScheduledReconciliationResult extends ScheduledReconciliationTally {
  firedAt: string;
  timeFrom: string;
  timeTo: string;
}

export interface ReconciliationActivities {
  /** Settles unknown rows, judges every cell of the range, stores the report; returns its summary. */
  ReconcileTenantActivity(input: ReconcileTenantInput): Promise<ReconciliationSummary>;
  /** Records on the run which sync re-sent its re-armed rows. */
  RecordReconciliationResendActivity(input: RecordResendInput): Promise<void>;
}

/** The daily run's workflow id for a tenant+environment: one at a time per tenant, whatever the ticks. */
export function dailyReconciliationWorkflowId(scope: TenantScopeIds): string {
  return tenantWorkflowId('stripe-reconciliation-daily', scope);
}
