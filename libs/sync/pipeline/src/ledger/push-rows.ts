import type { EntityManager } from 'typeorm';
import type { LedgerPushRecord, SyncBatchStore, TenantScope } from '@flexsync/persistence';
import { normalizeDecimal } from '../decimal';
import type { HeldValue, LedgerWindow, PushRow, RemainderUpdate, ReversalPush, RunRef, ValuedPush } from './ledger-rows';
import { storeRemainders } from './remainder-store';

/**
 * The pusher's side of the ledger: reading a page of pushes and its write-ahead commit, through `SyncBatchStore`.
 * Inside the ledger lock.
 */

export interface PushPageCommit {
  scope: TenantScope;
  window: LedgerWindow;
  valued: readonly ValuedPush[];
  reversals: readonly ReversalPush[];
  /** Frozen rows about to be sent again; `uncertain` ones had a call that was never answered. */
  attempts: readonly { id: string; uncertain: boolean }[];
  unknown: readonly { id: string; error: string }[];
  remainders: readonly RemainderUpdate[];
  nowMs: number;
  run: RunRef;
}

/**
 * A page of the window's pushes in id order after `afterId`: pending rows, plus completed rows acknowledged since
 * `resendCompletedSince` when a forced rerun re-sends them. For unvalued rows, also the quantity the series'
 * valued revisions already cover (what the new value is the difference from), what each Stripe target holds of
 * the series, and its highest revision.
 */
export async function readPushPage(
  batches: SyncBatchStore,
  manager: EntityManager,
  params: { scope: TenantScope; window: LedgerWindow; afterId?: string; limit: number; resendCompletedSince?: Date },
): Promise<PushRow[]> {
  const records: LedgerPushRecord[] = await batches.pushPage(manager, params);
  return records.map((record) => ({
    id: record.id,
    customerId: record.customer_id,
    meterId: record.meter_id,
    eventType: record.event_type,
    revision: record.revision,
    identifier: record.identifier,
    payloadHash: record.payload_hash,
    quantity: normalizeDecimal(record.aggregated_quantity),
    eventCount: record.event_count,
    status: record.sync_status,
    attemptCount: record.attempt_count,
    errorMessage: record.error_message,
    firstSentAtMs: record.first_sent_ms === null ? null : Number(record.first_sent_ms),
    outcomeUncertain: record.outcome_uncertain,
    failureCount: record.failure_count,
    coveredQuantity: normalizeDecimal(record.covered_quantity ?? '0'),
    held: (record.held ?? []).map(
      (held): HeldValue => ({
        eventName: held.event_name,
        stripeCustomerId: held.provider_customer_id,
        value: held.value,
        precision: held.precision,
      }),
    ),
    lastRevision: record.last_revision ?? record.revision,
    incomplete:
      record.sent_value !== null &&
      (record.event_name === null ||
        record.provider_customer_id === null ||
        record.value_precision === null ||
        record.event_timestamp === null),
    ...(record.sent_value !== null &&
    record.event_name !== null &&
    record.provider_customer_id !== null &&
    record.value_precision !== null &&
    record.event_timestamp !== null
      ? {
          frozen: {
            eventName: record.event_name,
            stripeCustomerId: record.provider_customer_id,
            value: record.sent_value,
            precision: record.value_precision,
            timestamp: Number(record.event_timestamp),
          },
        }
      : {}),
  }));
}

/**
 * The write-ahead commit of a page, before any Stripe call: freezes the meter event of each newly valued row,
 * inserts the reversals that move series off targets they no longer have, counts an attempt on every row about
 * to be sent (stamping its first send), marks the rows that may not be re-sent `unknown`, and stores the series'
 * new remainders.
 */
export async function commitPushPage(
  batches: SyncBatchStore,
  manager: EntityManager,
  params: PushPageCommit,
): Promise<{ reversalIds: string[] }> {
  const { scope, run } = params;
  const sentAt = new Date(params.nowMs);
  await batches.freezeValued(manager, scope, run, sentAt, params.valued);
  const reversals = await batches.insertReversals(manager, scope, params.window, run, sentAt, params.reversals);
  const reversalIds = params.reversals.map((row) => reversals.get(row.identifier) ?? '');
  await batches.countAttempts(manager, scope, run, sentAt, params.attempts);
  await batches.markUnknown(manager, scope, run, params.unknown);
  await storeRemainders(manager, scope, params.remainders);
  return { reversalIds };
}
