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
  /** Limits the sync to one FlexPrice customer (playbook `entity_id`). */
  customerId?: string;
  forceRerun: boolean;
  trigger: SyncTrigger;
}

export interface AggregateEventsInput {
  tenantId: string;
  environmentId: string;
  window: SyncWindow;
  customerId?: string;
}

/** What ClickHouse measured for one window. Totals only: per-aggregate rows never travel through Temporal payloads. */
export interface WindowUsageSummary {
  window: SyncWindow;
  aggregateCount: number;
  eventCount: number;
  /** Exact decimal sum over all aggregates, as text. */
  totalQuantity: string;
}

export interface StripeEventSyncResult {
  windows: WindowUsageSummary[];
}

/** Activity names as registered on the worker (playbook §6.1). */
export interface StripeSyncActivities {
  AggregateEventsActivity(input: AggregateEventsInput): Promise<WindowUsageSummary>;
}
