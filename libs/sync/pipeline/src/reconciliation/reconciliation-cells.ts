import { decimalToScaled, DECIMAL_FACTOR, scaledToDecimal } from '../decimal';
import type { LedgerWindow, StripeTarget } from '../ledger/ledger-rows';

/**
 * One cell of reconciliation: a FlexPrice customer × meter × window. Three sums meet in it:
 * - measured: what ClickHouse holds (Σ over the meter's event types), in Stripe units at the mapping's precision;
 * - delivered: Σ `sent_value` of the ledger's completed rows (what Stripe acknowledged);
 * - stripe: what Stripe's meter event summaries count for the cell's targets.
 */
export type ReconciliationStatus = 'match' | 'drift' | 'pending' | 'unknown_outcome';

export const RECONCILIATION_STATUSES: readonly ReconciliationStatus[] = ['match', 'drift', 'pending', 'unknown_outcome'];

/** A ledger row as reconciliation reads it. */
export interface LedgerDelivery {
  id: string;
  customerId: string;
  meterId: string;
  eventType: string;
  windowStart: Date;
  windowEnd: Date;
  identifier: string;
  /** `validating`: the v2 stream accepted the push and Stripe counts it unless an error report rejects it later. */
  status: 'pending' | 'completed' | 'validating' | 'failed' | 'unknown';
  /** Whole-number Stripe value; null while unvalued. */
  sentValue: bigint | null;
  target: StripeTarget | null;
  /** A failed row the system retries on its own. */
  retryScheduled: boolean;
  /** Epoch ms of the latest send (completion, or the first call when not completed). */
  lastSentAtMs: number | null;
  /** Already re-armed once by reconciliation under a new identifier. */
  reidentified: boolean;
}

/** ClickHouse's total of one (customer, meter, event_type) in one window. */
export interface MeasuredUsage {
  customerId: string;
  meterId: string;
  eventType: string;
  quantity: string;
}

export interface ReconciliationCell {
  customerId: string;
  meterId: string;
  windowStart: string;
  windowEnd: string;
  status: ReconciliationStatus;
  /** Exact decimal quantity ClickHouse measured. */
  measuredQuantity: string;
  /** The measured quantity in Stripe units (× 10^precision), exact decimal; null without a meter mapping. */
  measuredValue: string | null;
  /** Σ `sent_value` of completed ledger rows. */
  deliveredValue: string;
  /** Σ Stripe's summaries attributed to the cell; null while the cell is pending. */
  stripeValue: string | null;
  /** stripe − measured (Stripe units, signed); set for `drift` and `match`. */
  difference: string | null;
  /** stripe − delivered: what the ledger cannot explain. */
  unexplained: string | null;
  unknownRows: number;
  reason: string | null;
}

export interface CellInput {
  customerId: string;
  meterId: string;
  window: LedgerWindow;
  measured: MeasuredUsage[];
  rows: LedgerDelivery[];
  /** Mapping precision; null when the meter has no mapping. */
  precision: number | null;
  /** Stripe's count for the cell's targets, already attributed to this cell; null when unavailable. */
  stripeValue: bigint | null;
  nowMs: number;
  ingestionLagMs: number;
}

function scaledToStripeUnits(quantity: bigint, precision: number): bigint {
  return quantity * 10n ** BigInt(precision);
}

function abs(value: bigint): bigint {
  return value < 0n ? -value : value;
}

/** Why a cell cannot be judged yet, or null. */
export function pendingReason(input: CellInput): string | null {
  if (input.nowMs < input.window.end.getTime() + input.ingestionLagMs) return 'window not closed past the ingestion lag';
  if (input.rows.some((row) => row.status === 'pending' || (row.status === 'failed' && row.retryScheduled))) {
    return 'ledger rows still to be sent';
  }
  const lastSent = Math.max(0, ...input.rows.map((row) => row.lastSentAtMs ?? 0));
  if (input.nowMs - lastSent < input.ingestionLagMs) return 'Stripe may still be ingesting the latest push';
  if (input.stripeValue === null) return 'Stripe totals not available';
  return null;
}

/**
 * Judges one cell. `match` needs Stripe's count to equal what the ledger delivered and both to equal ClickHouse's
 * total in Stripe units, exactly where that total is whole; a series with a fractional total carries its remainder
 * to later windows (sync-worker README), so it may differ by less than one unit per such series.
 */
export function judgeCell(input: CellInput): ReconciliationCell {
  const measuredScaled = input.measured.reduce((sum, usage) => sum + decimalToScaled(usage.quantity), 0n);
  const delivered = input.rows
    .filter((row) => row.status === 'completed' || row.status === 'validating')
    .reduce((sum, row) => sum + (row.sentValue ?? 0n), 0n);
  const unknownRows = input.rows.filter((row) => row.status === 'unknown').length;
  const measuredUnits = input.precision === null ? null : scaledToStripeUnits(measuredScaled, input.precision);
  const base = {
    customerId: input.customerId,
    meterId: input.meterId,
    windowStart: input.window.start.toISOString(),
    windowEnd: input.window.end.toISOString(),
    measuredQuantity: scaledToDecimal(measuredScaled),
    measuredValue: measuredUnits === null ? null : scaledToDecimal(measuredUnits),
    deliveredValue: delivered.toString(),
    unknownRows,
  };
  const pending = pendingReason(input);
  if (pending !== null) {
    return { ...base, status: 'pending', stripeValue: null, difference: null, unexplained: null, reason: pending };
  }
  const stripe = input.stripeValue ?? 0n;
  const unexplained = stripe - delivered;
  const fields = {
    ...base,
    stripeValue: stripe.toString(),
    unexplained: unexplained.toString(),
    difference: measuredUnits === null ? null : scaledToDecimal(stripe * DECIMAL_FACTOR - measuredUnits),
  };
  if (unknownRows > 0) {
    return {
      ...fields,
      status: 'unknown_outcome',
      reason: `${unknownRows} ledger row(s) with an unknown outcome Stripe's total does not settle`,
    };
  }
  if (measuredUnits === null) {
    return { ...fields, status: 'drift', reason: 'meter mapping not found: ClickHouse usage has no Stripe unit' };
  }
  const fractionalSeries = input.precision === null ? 0 : fractionalSeriesCount(input.measured, input.precision);
  const gap = abs(delivered * DECIMAL_FACTOR - measuredUnits);
  const ledgerCoversMeasured = fractionalSeries === 0 ? gap === 0n : gap < BigInt(fractionalSeries) * DECIMAL_FACTOR;
  if (unexplained === 0n && ledgerCoversMeasured) return { ...fields, status: 'match', reason: null };
  return {
    ...fields,
    status: 'drift',
    reason:
      unexplained !== 0n
        ? `Stripe counts ${unexplained > 0n ? 'more' : 'less'} than the ledger delivered (${unexplained.toString()} units)`
        : 'the ledger delivered a different total than ClickHouse measured',
  };
}

function fractionalSeriesCount(measured: MeasuredUsage[], precision: number): number {
  return measured.filter((usage) => scaledToStripeUnits(decimalToScaled(usage.quantity), precision) % DECIMAL_FACTOR !== 0n).length;
}

/** What a settled unknown row turned out to be. */
export type UnknownSettlement = 'counted' | 'missing' | 'undecided';

/**
 * Settles a target-window's unknown rows from Stripe's count: all of them counted when Stripe holds what the
 * ledger completed plus them, none when it holds exactly what was completed; anything else stays undecided.
 */
export function settleUnknown(stripe: bigint, completed: bigint, unknown: readonly bigint[]): UnknownSettlement {
  const unknownSum = unknown.reduce((sum, value) => sum + value, 0n);
  if (stripe === completed + unknownSum) return 'counted';
  if (stripe === completed) return 'missing';
  return 'undecided';
}
