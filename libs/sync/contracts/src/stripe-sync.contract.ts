import type { SyncWindow } from './sync-window';

/** The Temporal task queue the sync worker polls (playbook §7). */
export const STRIPE_SYNC_TASK_QUEUE = 'stripe-sync';

export const STRIPE_EVENT_SYNC_WORKFLOW = 'StripeEventSyncWorkflow';

export type SyncTrigger = 'manual' | 'schedule';

/** Input of `StripeEventSyncWorkflow` for one tenant+environment. */
export interface StripeEventSyncInput {
  tenantId: string;
  environmentId: string;
  /** ISO-8601; rounded down to a window boundary. */
  timeFrom: string;
  /** ISO-8601; rounded up to a window boundary. */
  timeTo: string;
  windowMinutes: number;
  /**
   * The windows to sync, oldest first, when planned by the caller (the scheduler's coverage plan, which may mix
   * sizes across a change of `aggregation_window_minutes`); without it `[timeFrom, timeTo)` is split by `windowMinutes`.
   */
  windows?: SyncWindow[];
  /** Limits the sync to one FlexPrice customer (playbook `entity_id`). */
  customerId?: string;
  /**
   * Re-sends what the ledger already holds as completed (same identities, so Stripe dedupes), besides sending
   * any correction. Completed pushes older than Stripe's identifier-uniqueness period are not re-sent.
   */
  forceRerun: boolean;
  trigger: SyncTrigger;
  /**
   * History events after which a run continues as new (progress carried in `continuation`); default 10,000.
   * Only very large backfills and tests need to set it.
   */
  historyEventBudget?: number;
  /** Set by the workflow itself when it continues as new; callers leave it out. */
  continuation?: StripeEventSyncContinuation;
}

/** Progress carried from one run of the workflow to the next when it continues as new. */
export interface StripeEventSyncContinuation {
  /** Index into the run's windows of the window in progress. */
  windowIndex: number;
  finished: WindowSyncSummary[];
  current?: WindowPushProgress;
}

export interface WindowPushProgress {
  aggregation: WindowUsageSummary;
  /** Workflow time just before the window was aggregated; recorded as the window's coverage once it is pushed. */
  aggregatedAt?: string;
  /** 1 = first sweep over the window's pending rows; later sweeps pick up rows added meanwhile. */
  pass: number;
  afterId?: string;
  pushed: PushTally;
}

export interface PushTally {
  completed: number;
  failed: number;
  /** Completed pushes Stripe already held (duplicate identifier or idempotent replay): delivered once, not twice. */
  alreadyDelivered: number;
  /** Completed pushes re-sent because of `forceRerun`. */
  resent: number;
}

export interface AggregateEventsInput {
  tenantId: string;
  environmentId: string;
  window: SyncWindow;
  customerId?: string;
}

/**
 * What ClickHouse measured for one window and what the ledger made of it. Counts only: per-aggregate rows never
 * travel through Temporal payloads (they go from the ClickHouse stream straight into the ledger).
 */
export interface WindowUsageSummary {
  window: SyncWindow;
  aggregateCount: number;
  eventCount: number;
  /** Exact decimal sum over all aggregates, as text. */
  totalQuantity: string;
  /** Ledger rows armed to push: new (customer, meter, event_type) totals and corrections. */
  armed: number;
  /** Of `armed`, corrections of a window already pushed (revision > 0; the delta may be negative). */
  corrections: number;
  /** Pushes that failed earlier and are armed again with their frozen payload. */
  rearmed: number;
  /** Pushes left `pending` by an earlier run (e.g. a crash after the Stripe call) that this run resumes. */
  resumed: number;
  /** Aggregates whose total the ledger already covers: nothing to send. */
  unchanged: number;
  /** Aggregates of meters whose mapping has sync disabled: not pushed. */
  skipped: number;
}

export interface WindowSyncSummary extends WindowUsageSummary, PushTally {}

export interface StripeEventSyncResult {
  windows: WindowSyncSummary[];
}

export interface SyncToStripeInput {
  tenantId: string;
  environmentId: string;
  window: SyncWindow;
  /** Keyset cursor: only rows with a larger id. */
  afterId?: string;
  /** Also re-send completed pushes (force rerun). */
  resendCompleted: boolean;
}

/** A push that ended in failure; `attempt` guards against recording a stale outcome over a newer attempt. */
export interface FailedPush {
  id: string;
  attempt: number;
  error: string;
  latencyMs?: number;
  /** ISO-8601: when the system itself tries the push again (backoff, or a re-check of its cause); absent: never. */
  nextAttemptAt?: string;
  /** A call of this push may have reached Stripe without a readable answer (5xx, network, timeout). */
  uncertain?: boolean;
}

/** Per-row outcomes of one page, columnar so a page of a thousand rows stays a few tens of kilobytes. */
export interface SyncPageOutcomes {
  completed: { ids: string[]; latencyMs: number[] };
  failed: FailedPush[];
}

export interface SyncToStripeResult extends SyncPageOutcomes {
  /** Rows read in this page (pushed, failed fast or re-sent). */
  rows: number;
  alreadyDelivered: number;
  /** Pushes the v2 meter event stream accepted: `validating` until their validation period ends (absent: none). */
  validating?: number;
  resent: number;
  /** Forced re-sends that failed; the row stays completed (Stripe already acknowledged it once). */
  resendFailed: number;
  nextAfterId?: string;
  /** No rows after this page. */
  done: boolean;
}

export interface TrackSyncBatchInput extends SyncPageOutcomes {
  tenantId: string;
  environmentId: string;
}

export interface TrackSyncBatchResult {
  completed: number;
  failed: number;
}

/** `ApplicationFailure` types the activities raise for permanent errors (not retried). */
export const SYNC_FAILURE = {
  /** The window overlaps a window of another size already synced: pushing it could count usage twice. */
  windowConflict: 'SyncWindowConflict',
  /** The input cannot be processed (bad ids, bad window). */
  invalidInput: 'SyncInvalidInput',
} as const;

/** Activity names as registered on the worker (playbook §6.1). */
export interface StripeSyncActivities {
  /** Streams the window's aggregates from ClickHouse into the ledger (pending rows); returns counts. */
  AggregateEventsActivity(input: AggregateEventsInput): Promise<WindowUsageSummary>;
  /** Pushes one page of the window's pending rows to Stripe; returns per-row outcomes. */
  SyncToStripeActivity(input: SyncToStripeInput): Promise<SyncToStripeResult>;
  /** Records a page's outcomes in the ledger (idempotent). */
  TrackSyncBatchActivity(input: TrackSyncBatchInput): Promise<TrackSyncBatchResult>;
}
