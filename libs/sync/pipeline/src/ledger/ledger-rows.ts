import type { SyncStatus } from '@flexsync/persistence';
import { ledgerPayloadHash } from '../identity';

/** The ledger's row types: what reconciliation, the page planner and the pusher read and write. */

export interface LedgerWindow {
  start: Date;
  end: Date;
}

export interface SeriesKey {
  customerId: string;
  meterId: string;
  eventType: string;
}

/** One ClickHouse aggregate of the window. */
export interface MeasuredSeries extends SeriesKey {
  /** Exact decimal. */
  quantity: string;
  eventCount: number;
}

/** The Temporal run acting on the ledger, recorded on the rows it touches. */
export interface RunRef {
  workflowId: string | null;
  runId: string | null;
}

export interface ReconcileCounts {
  armed: number;
  corrections: number;
  rearmed: number;
  resumed: number;
  unchanged: number;
  withdrawn: number;
}

export function emptyReconcileCounts(): ReconcileCounts {
  return { armed: 0, corrections: 0, rearmed: 0, resumed: 0, unchanged: 0, withdrawn: 0 };
}

/** Where a series' meter events go in Stripe: the meter's `event_name` and the Stripe customer. */
export interface StripeTarget {
  eventName: string;
  stripeCustomerId: string;
}

export function sameTarget(a: StripeTarget, b: StripeTarget): boolean {
  return a.eventName === b.eventName && a.stripeCustomerId === b.stripeCustomerId;
}

/** What one target holds of a series in a window: the sum of the values frozen for it (sent or to be re-sent). */
export interface HeldValue extends StripeTarget {
  /** Whole-number Stripe value, as text. */
  value: string;
  /** The precision those values were computed with (value = quantity × 10^precision). */
  precision: number;
}

/** A pending (or, for a forced rerun, completed) push as the pusher reads it. */
export interface PushRow extends SeriesKey {
  id: string;
  revision: number;
  identifier: string;
  payloadHash: string;
  /** The window's measured total as of this revision (normalized decimal). */
  quantity: string;
  eventCount: string;
  status: SyncStatus;
  attemptCount: number;
  /** The cause recorded by the last failure; kept while a re-armed row is pending again. */
  errorMessage: string | null;
  /** Epoch ms of the first call for this push; null while never sent. */
  firstSentAtMs: number | null;
  /** Some earlier call may have reached Stripe without a readable answer. */
  outcomeUncertain: boolean;
  failureCount: number;
  /** The meter event frozen when the row was valued; absent while unvalued. */
  frozen?: FrozenMeterEvent;
  /** Has a value but not the meter event it was sent as (written outside the worker): never sent. */
  incomplete: boolean;
  /** For unvalued rows: the quantity the series' valued revisions already cover in this window. */
  coveredQuantity: string;
  /** For unvalued rows: what each Stripe target holds of the series in this window (non-zero sums only). */
  held: HeldValue[];
  /** For unvalued rows: the series' highest revision in this window. */
  lastRevision: number;
}

export interface FrozenMeterEvent extends StripeTarget {
  value: string;
  precision: number;
  /** Unix seconds. */
  timestamp: number;
}

export interface ValuedPush {
  id: string;
  payloadHash: string;
  event: FrozenMeterEvent;
}

/** A meter event that moves a series' value off a target it no longer has: the negative of what it holds there. */
export interface ReversalPush extends SeriesKey {
  revision: number;
  identifier: string;
  quantity: string;
  eventCount: string;
  payloadHash: string;
  event: FrozenMeterEvent;
}

export interface SeriesRemainder {
  precision: number;
  remainder: string;
}

export interface RemainderUpdate extends SeriesKey, SeriesRemainder {}

export function seriesKeyOf(key: SeriesKey): string {
  return `${key.customerId}\u0000${key.meterId}\u0000${key.eventType}`;
}

/** Byte-wise comparison, the order of both ClickHouse's `ORDER BY` on Strings and Postgres' "C" collation. */
export function compareSeries(a: SeriesKey, b: SeriesKey): number {
  return Buffer.compare(Buffer.from(seriesKeyOf(a), 'utf8'), Buffer.from(seriesKeyOf(b), 'utf8'));
}

/** The hash of a row not yet valued: its identity and measured totals (the Stripe fields are still unknown). */
export function unvaluedHash(identifier: string, quantity: string, eventCount: string): string {
  return ledgerPayloadHash({
    identifier,
    aggregatedQuantity: quantity,
    eventCount,
    eventName: null,
    stripeCustomerId: null,
    value: null,
    valuePrecision: null,
    timestamp: null,
  });
}

/** The hash a valued row must carry: its identity, measured totals and frozen meter event. */
export function frozenHash(row: { identifier: string; quantity: string; eventCount: string }, event: FrozenMeterEvent): string {
  return ledgerPayloadHash({
    identifier: row.identifier,
    aggregatedQuantity: row.quantity,
    eventCount: row.eventCount,
    eventName: event.eventName,
    stripeCustomerId: event.stripeCustomerId,
    value: event.value,
    valuePrecision: event.precision,
    timestamp: event.timestamp,
  });
}

/** The causes of failures a mapping fix removes (the playbook's messages). */
export const FIXABLE_FAILURE = {
  meterNotFound: 'meter mapping not found',
  meterDisabled: 'meter mapping has sync disabled',
  customerNotFound: 'customer mapping not found',
} as const;
