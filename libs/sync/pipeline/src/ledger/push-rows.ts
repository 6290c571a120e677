import type { EntityManager } from 'typeorm';
import type { SyncStatus, TenantScope } from '@flexsync/persistence';
import { normalizeDecimal } from '../decimal';
import type { HeldValue, LedgerWindow, PushRow, RemainderUpdate, ReversalPush, RunRef, ValuedPush } from './ledger-rows';
import { storeRemainders } from './remainder-store';

/** The pusher's side of the ledger: reading a page of pushes and its write-ahead commit. Inside the ledger lock. */

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

interface PushRowRecord {
  id: string;
  customer_id: string;
  meter_id: string;
  event_type: string;
  revision: number;
  identifier: string;
  payload_hash: string;
  aggregated_quantity: string;
  event_count: string;
  sent_value: string | null;
  event_name: string | null;
  provider_customer_id: string | null;
  value_precision: number | null;
  event_timestamp: string | null;
  sync_status: SyncStatus;
  attempt_count: number;
  error_message: string | null;
  first_sent_ms: string | null;
  outcome_uncertain: boolean;
  failure_count: number;
  covered_quantity: string | null;
  held: { event_name: string; provider_customer_id: string; value: string; precision: number }[] | null;
  last_revision: number | null;
}

/**
 * A page of the window's pushes in id order after `afterId`: pending rows, plus completed rows acknowledged since
 * `resendCompletedSince` when a forced rerun re-sends them. For unvalued rows, also the quantity the series'
 * valued revisions already cover (what the new value is the difference from), what each Stripe target holds of
 * the series, and its highest revision.
 */
export async function readPushPage(
  manager: EntityManager,
  params: { scope: TenantScope; window: LedgerWindow; afterId?: string; limit: number; resendCompletedSince?: Date },
): Promise<PushRow[]> {
  // Pending-only pages match the partial index on pending rows exactly (an OR would keep the planner off it).
  const statuses = params.resendCompletedSince
    ? `(b.sync_status = 'pending' OR (b.sync_status = 'completed' AND b.completed_at >= $7))`
    : `b.sync_status = 'pending'`;
  const records: PushRowRecord[] = await manager.query(
    `SELECT b.id, b.customer_id, b.meter_id, b.event_type, b.revision, b.identifier, b.payload_hash,
            b.aggregated_quantity::text AS aggregated_quantity, b.event_count::text AS event_count, b.sent_value::text AS sent_value,
            b.event_name, b.provider_customer_id, b.value_precision,
            extract(epoch FROM b.meter_event_timestamp)::bigint::text AS event_timestamp,
            b.sync_status, b.attempt_count, b.error_message, b.outcome_uncertain, b.failure_count,
            (extract(epoch FROM b.first_sent_at) * 1000)::bigint::text AS first_sent_ms,
            -- "C" equality so the lookup can use every column of the byte-ordered series index.
            CASE WHEN b.sent_value IS NULL THEN (
              SELECT p.aggregated_quantity::text FROM stripe_sync_batches p
               WHERE p.tenant_id = b.tenant_id AND p.environment_id = b.environment_id
                 AND p.window_start = b.window_start AND p.window_end = b.window_end
                 AND p.customer_id COLLATE "C" = b.customer_id AND p.meter_id COLLATE "C" = b.meter_id
                 AND p.event_type COLLATE "C" = b.event_type
                 AND p.sent_value IS NOT NULL
               ORDER BY p.revision DESC LIMIT 1) END AS covered_quantity,
            CASE WHEN b.sent_value IS NULL THEN (
              SELECT json_agg(json_build_object('event_name', h.event_name, 'provider_customer_id', h.provider_customer_id,
                                                'value', h.value::text, 'precision', h.value_precision))
                FROM (SELECT p.event_name, p.provider_customer_id, p.value_precision, sum(p.sent_value) AS value
                        FROM stripe_sync_batches p
                       WHERE p.tenant_id = b.tenant_id AND p.environment_id = b.environment_id
                         AND p.window_start = b.window_start AND p.window_end = b.window_end
                         AND p.customer_id COLLATE "C" = b.customer_id AND p.meter_id COLLATE "C" = b.meter_id
                         AND p.event_type COLLATE "C" = b.event_type
                         AND p.sent_value IS NOT NULL AND p.event_name IS NOT NULL AND p.provider_customer_id IS NOT NULL
                         AND p.value_precision IS NOT NULL
                       GROUP BY p.event_name, p.provider_customer_id, p.value_precision
                      HAVING sum(p.sent_value) <> 0) h) END AS held,
            CASE WHEN b.sent_value IS NULL THEN (
              SELECT max(p.revision) FROM stripe_sync_batches p
               WHERE p.tenant_id = b.tenant_id AND p.environment_id = b.environment_id
                 AND p.window_start = b.window_start AND p.window_end = b.window_end
                 AND p.customer_id COLLATE "C" = b.customer_id AND p.meter_id COLLATE "C" = b.meter_id
                 AND p.event_type COLLATE "C" = b.event_type) END AS last_revision
       FROM stripe_sync_batches b
      WHERE b.tenant_id = $1 AND b.environment_id = $2 AND b.window_start = $3 AND b.window_end = $4
        AND ${statuses}
        AND ($5::uuid IS NULL OR b.id > $5::uuid)
      ORDER BY b.id
      LIMIT $6`,
    [
      params.scope.tenantId,
      params.scope.environmentId,
      params.window.start,
      params.window.end,
      params.afterId ?? null,
      params.limit,
      ...(params.resendCompletedSince ? [params.resendCompletedSince] : []),
    ],
  );
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
export async function commitPushPage(manager: EntityManager, params: PushPageCommit): Promise<{ reversalIds: string[] }> {
  const { scope, valued, run } = params;
  const sentAt = new Date(params.nowMs);
  if (valued.length > 0) {
    await manager.query(
      `UPDATE stripe_sync_batches b
          SET sent_value = u.value::bigint, event_name = u.event_name, provider_customer_id = u.customer,
              value_precision = u.precision, meter_event_timestamp = to_timestamp(u.ts), payload_hash = u.payload_hash,
              attempt_count = b.attempt_count + 1, first_sent_at = COALESCE(b.first_sent_at, $12), workflow_id = $3,
              run_id = $4, updated_at = now()
         FROM unnest($5::uuid[], $6::text[], $7::text[], $8::text[], $9::int[], $10::bigint[], $11::text[])
              AS u(id, value, event_name, customer, precision, ts, payload_hash)
        WHERE b.id = u.id AND b.tenant_id = $1 AND b.environment_id = $2 AND b.sent_value IS NULL`,
      [
        scope.tenantId,
        scope.environmentId,
        run.workflowId,
        run.runId,
        valued.map((row) => row.id),
        valued.map((row) => row.event.value),
        valued.map((row) => row.event.eventName),
        valued.map((row) => row.event.stripeCustomerId),
        valued.map((row) => row.event.precision),
        valued.map((row) => String(row.event.timestamp)),
        valued.map((row) => row.payloadHash),
        sentAt,
      ],
    );
  }
  let reversalIds: string[] = [];
  if (params.reversals.length > 0) {
    const reversals = params.reversals;
    const inserted: { id: string; identifier: string }[] = await manager.query(
      `INSERT INTO stripe_sync_batches (tenant_id, environment_id, customer_id, meter_id, event_type, window_start, window_end,
                                        revision, identifier, payload_hash, aggregated_quantity, event_count, sent_value,
                                        event_name, provider_customer_id, value_precision, meter_event_timestamp,
                                        sync_status, attempt_count, first_sent_at, workflow_id, run_id)
       SELECT $1, $2, u.customer_id, u.meter_id, u.event_type, $3, $4, u.revision, u.identifier, u.payload_hash,
              u.quantity::numeric, u.event_count::bigint, u.value::bigint, u.event_name, u.customer, u.precision,
              to_timestamp(u.ts), 'pending', 1, $5, $6, $7
         FROM unnest($8::text[], $9::text[], $10::text[], $11::int[], $12::text[], $13::text[], $14::text[], $15::text[],
                     $16::text[], $17::text[], $18::text[], $19::int[], $20::bigint[])
              AS u(customer_id, meter_id, event_type, revision, identifier, payload_hash, quantity, event_count, value,
                   event_name, customer, precision, ts)
       RETURNING id, identifier`,
      [
        scope.tenantId,
        scope.environmentId,
        params.window.start,
        params.window.end,
        sentAt,
        run.workflowId,
        run.runId,
        reversals.map((row) => row.customerId),
        reversals.map((row) => row.meterId),
        reversals.map((row) => row.eventType),
        reversals.map((row) => row.revision),
        reversals.map((row) => row.identifier),
        reversals.map((row) => row.payloadHash),
        reversals.map((row) => row.quantity),
        reversals.map((row) => row.eventCount),
        reversals.map((row) => row.event.value),
        reversals.map((row) => row.event.eventName),
        reversals.map((row) => row.event.stripeCustomerId),
        reversals.map((row) => row.event.precision),
        reversals.map((row) => String(row.event.timestamp)),
      ],
    );
    const ids = new Map(inserted.map((row) => [row.identifier, row.id]));
    reversalIds = reversals.map((row) => ids.get(row.identifier) ?? '');
  }
  if (params.attempts.length > 0) {
    await manager.query(
      `UPDATE stripe_sync_batches b
          SET attempt_count = b.attempt_count + 1, first_sent_at = COALESCE(b.first_sent_at, $5),
              outcome_uncertain = b.outcome_uncertain OR u.uncertain, workflow_id = $3, run_id = $4, updated_at = now()
         FROM unnest($6::uuid[], $7::boolean[]) AS u(id, uncertain)
        WHERE b.id = u.id AND b.tenant_id = $1 AND b.environment_id = $2 AND b.sync_status = 'pending'`,
      [
        scope.tenantId,
        scope.environmentId,
        run.workflowId,
        run.runId,
        sentAt,
        params.attempts.map((row) => row.id),
        params.attempts.map((row) => row.uncertain),
      ],
    );
  }
  if (params.unknown.length > 0) {
    await manager.query(
      `UPDATE stripe_sync_batches b
          SET sync_status = 'unknown', outcome_uncertain = true, next_attempt_at = NULL, error_message = u.error,
              workflow_id = $3, run_id = $4, updated_at = now()
         FROM unnest($5::uuid[], $6::text[]) AS u(id, error)
        WHERE b.id = u.id AND b.tenant_id = $1 AND b.environment_id = $2 AND b.sync_status = 'pending'`,
      [
        scope.tenantId,
        scope.environmentId,
        run.workflowId,
        run.runId,
        params.unknown.map((row) => row.id),
        params.unknown.map((row) => row.error),
      ],
    );
  }
  await storeRemainders(manager, scope, params.remainders);
  return { reversalIds };
}
