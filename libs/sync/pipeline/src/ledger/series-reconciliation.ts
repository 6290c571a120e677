import type { SyncStatus } from '@flexsync/persistence';
import { sameTarget, type StripeTarget } from './ledger-rows';

/** A ledger row of one (customer, meter, event_type) in one window, as reconciliation needs it. */
export interface SeriesLedgerRow {
  id: string;
  revision: number;
  /** The window's measured total as of this revision, scaled by 10^12. */
  quantity: bigint;
  /** Valued rows carry a frozen meter event; unvalued rows never reached Stripe and may still change. */
  valued: boolean;
  status: SyncStatus;
  /** Valued rows: the Stripe target and whole-number value frozen for it. */
  sent?: StripeTarget & { value: bigint };
}

/** What the ledger must do so it covers `measured` for the series. */
export interface SeriesPlan {
  /** A new unvalued row at this revision for the measured total. */
  insertRevision?: number;
  /** The unvalued row to bring up to the measured total and arm. */
  refreshId?: string;
  /** The unvalued row that is no longer needed (the frozen pushes already cover the total). */
  withdrawId?: string;
  /** Frozen pushes that failed: armed again with the same payload (Stripe dedupes if it did get one). `unknown` ones wait for reconciliation. */
  rearmIds: string[];
  /** Frozen pushes still pending from an earlier run, which this run resumes. */
  resumedIds: string[];
  outcome: 'new' | 'correction' | 'unchanged';
}

/**
 * Compares ClickHouse's total for a window with what the ledger already holds for it.
 *
 * Valued rows are frozen: their quantities are what Stripe has (or will have once pending/failed ones land), so the
 * latest valued revision's quantity is the total already covered. At most one unvalued row exists per series and
 * window (always the latest revision): it never reached Stripe, so it is updated in place rather than stacked.
 * A difference between the measured and covered totals becomes a correction at the next revision (negative if
 * usage went down); no difference means nothing to send, unless the series' target moved (design rule 13): then
 * a target other than `current` still holds a value, and the row armed for it moves the series (the page planner
 * sends the old target its reversal and the new one the full value).
 */
export function planSeries(measured: bigint, rows: readonly SeriesLedgerRow[], current?: StripeTarget): SeriesPlan {
  const ordered = [...rows].sort((a, b) => a.revision - b.revision);
  const valued = ordered.filter((row) => row.valued);
  const open = ordered.filter((row) => !row.valued).at(-1);
  const covered = valued.at(-1)?.quantity ?? 0n;
  const plan: SeriesPlan = {
    rearmIds: valued.filter((row) => row.status === 'failed').map((row) => row.id),
    resumedIds: valued.filter((row) => row.status === 'pending').map((row) => row.id),
    outcome: 'unchanged',
  };
  if (measured === covered && !(current && heldElsewhere(valued, current))) {
    if (open) plan.withdrawId = open.id;
    return plan;
  }
  if (open) {
    plan.refreshId = open.id;
    plan.outcome = open.revision === 0 ? 'new' : 'correction';
    return plan;
  }
  const revision = ordered.length === 0 ? 0 : (ordered.at(-1) as SeriesLedgerRow).revision + 1;
  plan.insertRevision = revision;
  plan.outcome = revision === 0 ? 'new' : 'correction';
  return plan;
}

/** Whether a target other than `current` holds a non-zero sum of the series' frozen values. */
function heldElsewhere(valued: readonly SeriesLedgerRow[], current: StripeTarget): boolean {
  const sums = new Map<string, bigint>();
  for (const row of valued) {
    if (!row.sent || sameTarget(row.sent, current)) continue;
    const key = `${row.sent.eventName}\u0000${row.sent.stripeCustomerId}`;
    sums.set(key, (sums.get(key) ?? 0n) + row.sent.value);
  }
  return [...sums.values()].some((sum) => sum !== 0n);
}
