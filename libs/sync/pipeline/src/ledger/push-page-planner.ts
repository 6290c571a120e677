import type { TenantScope } from '@flexsync/persistence';
import { DECIMAL_SCALE, decimalToScaled, scaledToDecimal } from '../decimal';
import { pushIdentifier } from '../identity';
import { checkMeterEventTimestamp, meterEventTimestamp } from '../meter-event-timestamp';
import { toStripeValue } from '../stripe-value';
import {
  FIXABLE_FAILURE,
  frozenHash,
  type FrozenMeterEvent,
  type LedgerWindow,
  type PushRow,
  type RemainderUpdate,
  type ReversalPush,
  sameTarget,
  seriesKeyOf,
  type SeriesRemainder,
  type ValuedPush,
} from './ledger-rows';
import type { MeterMappingView } from './mappings';

/** A push the page will send: a ledger row (or a reversal, whose id the commit assigns) and its frozen meter event. */
export interface PlannedSend {
  /** Absent for reversals until the commit inserted them. */
  id?: string;
  identifier: string;
  event: FrozenMeterEvent;
  /** The row's attempt count once this push is recorded; outcomes carry it. */
  attempt: number;
  /** Failures recorded for the row so far (the backoff step of its next failure). */
  failureCount: number;
  /** An earlier call of this push may have reached Stripe unanswered. */
  uncertain: boolean;
  /** A forced re-send of a completed push: success or failure leaves the row completed. */
  resend: boolean;
}

/** A row that fails without a call; `retry`: the system re-checks it on its own (its cause may be fixed). */
export interface PlannedFailure {
  id: string;
  attempt: number;
  failureCount: number;
  uncertain: boolean;
  error: string;
  retry: boolean;
}

export interface PushPagePlan {
  sends: PlannedSend[];
  /** Reversal sends, in the order of `reversals`, once the commit gave them ids. */
  reversalSends: PlannedSend[];
  failures: PlannedFailure[];
  resendFailed: number;
  valued: ValuedPush[];
  reversals: ReversalPush[];
  attempts: { id: string; uncertain: boolean }[];
  unknown: { id: string; error: string }[];
  remainders: RemainderUpdate[];
}

export interface PushPageContext {
  scope: TenantScope;
  window: LedgerWindow;
  meters: ReadonlyMap<string, MeterMappingView>;
  /** Stripe customer ids of the page's FlexPrice customers (mapped ones only). */
  customers: ReadonlyMap<string, string>;
  remainders: ReadonlyMap<string, SeriesRemainder>;
  nowMs: number;
  timestampMarginSeconds: number;
  /** Stripe's identifier dedupe horizon: past it, a push that may have reached Stripe is never re-sent. */
  dedupeHorizonMs: number;
  /** Why no push may happen now (no usable key, open circuit); the rows fail fast with it. */
  blocked?: string;
  /** Stripe event names whose meter cannot receive usage → why: frozen rows bound there fail instead of being sent. */
  unusableEventNames?: ReadonlyMap<string, string>;
}

/** Outcomes travel through Temporal (2 MB per payload): a page of failures must stay well under it. */
const MAX_ERROR_LENGTH = 500;

export function clipError(error: string): string {
  return error.length <= MAX_ERROR_LENGTH ? error : `${error.slice(0, MAX_ERROR_LENGTH - 1)}…`;
}

/**
 * Plans one page of pushes, without I/O: which rows are sent (with the meter event each is frozen as), which fail
 * without a call and whether the system re-checks them, which go `unknown`, and the reversals that move a series off
 * a target it no longer has (design rule 13).
 *
 * - An unvalued row gets its meter event from today's mappings and the carried remainder. If other targets still
 *   hold a value of the series in the window (a meter or customer remap), each gets a reversal of exactly what it
 *   holds, and the row's value also carries that quantity to the current target (at the current precision, through
 *   the remainder): Σ old targets = 0, Σ new = the total.
 * - A frozen row is re-sent with its frozen body, unless a call of it may have reached Stripe (an uncertain answer,
 *   or a call whose outcome was never recorded) and its first send is past Stripe's dedupe horizon: then re-sending
 *   could count it twice, and it goes `unknown` for reconciliation (design rule 11).
 */
export function planPushPage(rows: readonly PushRow[], context: PushPageContext): PushPagePlan {
  const plan: PushPagePlan = {
    sends: [],
    reversalSends: [],
    failures: [],
    resendFailed: 0,
    valued: [],
    reversals: [],
    attempts: [],
    unknown: [],
    remainders: [],
  };
  const remainders = new Map(context.remainders);
  const remainderUpdates = new Map<string, RemainderUpdate>();
  const fail = (row: PushRow, error: string, retry: boolean): void => {
    if (row.status === 'completed') plan.resendFailed += 1;
    else {
      plan.failures.push({
        id: row.id,
        attempt: row.attemptCount,
        failureCount: row.failureCount,
        uncertain: row.outcomeUncertain,
        error: clipError(error),
        retry,
      });
    }
  };
  if (context.blocked !== undefined) {
    for (const row of rows) fail(row, context.blocked, true);
    return plan;
  }

  for (const row of rows) {
    if (row.incomplete) {
      fail(row, 'ledger row has a value but no frozen meter event: not sent, to avoid sending a different body', false);
      continue;
    }
    if (row.frozen) {
      planFrozen(row, row.frozen, context, plan, fail);
      continue;
    }
    if (row.status !== 'pending') continue;
    const meter = context.meters.get(row.meterId);
    if (!meter) {
      fail(row, FIXABLE_FAILURE.meterNotFound, true);
      continue;
    }
    if (!meter.syncEnabled) {
      fail(row, FIXABLE_FAILURE.meterDisabled, true);
      continue;
    }
    if (meter.unusable !== undefined) {
      fail(row, meter.unusable, true);
      continue;
    }
    const stripeCustomerId = context.customers.get(row.customerId);
    if (!stripeCustomerId) {
      fail(row, FIXABLE_FAILURE.customerNotFound, true);
      continue;
    }
    const timestamp = meterEventTimestamp(context.window, context.nowMs, context.timestampMarginSeconds);
    if (!timestamp.ok) {
      fail(row, timestamp.reason, false);
      continue;
    }
    const target = { eventName: meter.eventName, stripeCustomerId };
    const moved = row.held.filter((held) => !sameTarget(held, target));
    // What moves to the current target, as a quantity: exact whatever precision the old values were computed with.
    const movedScaled = moved.reduce((sum, held) => sum + BigInt(held.value) * 10n ** BigInt(DECIMAL_SCALE - held.precision), 0n);
    const seriesKey = seriesKeyOf(row);
    const carried = remainders.get(seriesKey) ?? { precision: meter.precision, remainder: '0' };
    let value;
    try {
      value = toStripeValue({
        quantityDelta: scaledToDecimal(decimalToScaled(row.quantity) - decimalToScaled(row.coveredQuantity) + movedScaled),
        precision: meter.precision,
        carried: carried.remainder,
        carriedPrecision: carried.precision,
      });
    } catch (error) {
      fail(row, `value cannot be sent to Stripe: ${error instanceof Error ? error.message : String(error)}`, false);
      continue;
    }
    const event: FrozenMeterEvent = {
      ...target,
      value: value.value.toString(),
      precision: meter.precision,
      timestamp: timestamp.seconds,
    };
    moved.forEach((held, index) => {
      const revision = row.lastRevision + index + 1;
      const identifier = pushIdentifier({
        ...context.scope,
        customerId: row.customerId,
        meterId: row.meterId,
        eventType: row.eventType,
        windowStart: context.window.start,
        windowEnd: context.window.end,
        revision,
      });
      const reversalEvent: FrozenMeterEvent = {
        eventName: held.eventName,
        stripeCustomerId: held.stripeCustomerId,
        value: (-BigInt(held.value)).toString(),
        precision: held.precision,
        timestamp: timestamp.seconds,
      };
      const reversal = { identifier, quantity: row.quantity, eventCount: row.eventCount };
      plan.reversals.push({
        customerId: row.customerId,
        meterId: row.meterId,
        eventType: row.eventType,
        revision,
        ...reversal,
        payloadHash: frozenHash(reversal, reversalEvent),
        event: reversalEvent,
      });
      plan.reversalSends.push({ identifier, event: reversalEvent, attempt: 1, failureCount: 0, uncertain: false, resend: false });
    });
    const next: RemainderUpdate = {
      customerId: row.customerId,
      meterId: row.meterId,
      eventType: row.eventType,
      precision: meter.precision,
      remainder: value.remainder,
    };
    remainders.set(seriesKey, next);
    remainderUpdates.set(seriesKey, next);
    plan.valued.push({ id: row.id, payloadHash: frozenHash(row, event), event });
    plan.sends.push({
      id: row.id,
      identifier: row.identifier,
      event,
      attempt: row.attemptCount + 1,
      failureCount: row.failureCount,
      uncertain: false,
      resend: false,
    });
  }
  plan.remainders = [...remainderUpdates.values()];
  return plan;
}

function planFrozen(
  row: PushRow,
  frozen: FrozenMeterEvent,
  context: PushPageContext,
  plan: PushPagePlan,
  fail: (row: PushRow, error: string, retry: boolean) => void,
): void {
  if (row.payloadHash !== frozenHash(row, frozen)) {
    fail(row, 'ledger payload hash mismatch: the frozen meter event was changed outside the sync worker', false);
    return;
  }
  const timestamp = checkMeterEventTimestamp(frozen.timestamp, context.nowMs, context.timestampMarginSeconds);
  if (!timestamp.ok) {
    fail(row, timestamp.reason, false);
    return;
  }
  const unusable = context.unusableEventNames?.get(frozen.eventName);
  if (unusable !== undefined) {
    fail(row, unusable, true);
    return;
  }
  if (row.status === 'completed') {
    plan.sends.push({
      id: row.id,
      identifier: row.identifier,
      event: frozen,
      attempt: row.attemptCount,
      failureCount: row.failureCount,
      uncertain: false,
      resend: true,
    });
    return;
  }
  // Attempts but no recorded cause: the last call was made and its outcome never recorded (a crash after it).
  const unanswered = row.attemptCount > 0 && row.errorMessage === null;
  const uncertain = row.outcomeUncertain || unanswered;
  if (uncertain && row.firstSentAtMs !== null && context.nowMs - row.firstSentAtMs >= context.dedupeHorizonMs) {
    const hours = Math.round(context.dedupeHorizonMs / 3_600_000);
    plan.unknown.push({
      id: row.id,
      error: clipError(
        `outcome unknown: a call may have reached Stripe and the first send (${new Date(row.firstSentAtMs).toISOString()}) is ` +
          `past Stripe's ${hours} h identifier dedupe, so a re-send could count it twice; left for reconciliation` +
          (row.errorMessage === null ? '' : ` (last error: ${row.errorMessage})`),
      ),
    });
    return;
  }
  plan.attempts.push({ id: row.id, uncertain: unanswered });
  plan.sends.push({
    id: row.id,
    identifier: row.identifier,
    event: frozen,
    attempt: row.attemptCount + 1,
    failureCount: row.failureCount,
    uncertain,
    resend: false,
  });
}
