import { CancelledFailure } from '@temporalio/activity';
import type { Logger } from 'pino';
import type { TenantScope } from '@flexsync/persistence';
import { StripeCallError, type RequestRateLimiter, type StripeAccountClient } from '@flexsync/stripe-client';
import type { FailedPush, SyncToStripeInput, SyncToStripeResult } from '@flexsync/sync-contracts';
import { ActivityRun, activityLogger, currentActivityRun } from './activity-run';
import { ledgerWindow } from './aggregate-events.activity';
import { decimalToScaled, scaledToDecimal } from './decimal';
import { ledgerPayloadHash } from './identity';
import type { MappingReader } from './ledger/mappings';
import {
  FrozenMeterEvent,
  LedgerWindow,
  PushRow,
  RemainderUpdate,
  seriesKeyOf,
  SeriesRemainder,
  SyncLedger,
  ValuedPush,
} from './ledger/sync-ledger';
import { checkMeterEventTimestamp, DEFAULT_AGE_SAFETY_MARGIN_SECONDS, meterEventTimestamp } from './meter-event-timestamp';
import type { CircuitGate, StripeCircuitBreakers } from './push/circuit-breakers';
import { forEachConcurrently, KeyedMutex } from './push/keyed-mutex';
import { decidePush, retryDelayMs } from './push/push-decision';
import type { StripeAccountDirectory } from './push/stripe-accounts';
import { toStripeValue } from './stripe-value';
import type { StripeCallResult, SyncPipelineMetrics } from './sync-metrics';

export interface SyncToStripeOptions {
  /** Ledger rows pushed per activity call. */
  pageSize: number;
  /** Meter event calls in flight per page (each customer+meter still gets one at a time). */
  concurrency: number;
  /** Calls per push before a retryable failure (409/429/5xx/network) is recorded as failed. */
  maxAttempts: number;
  retryBaseMs: number;
  retryMaxMs: number;
  /** Stripe's identifier-uniqueness period: a forced rerun re-sends only pushes acknowledged more recently. */
  dedupeWindowHours: number;
  timestampMarginSeconds?: number;
  now?: () => number;
  sleep?: (ms: number) => Promise<void>;
}

/** A push ready to go: the row and the meter event frozen for it. */
interface Send {
  row: PushRow;
  event: FrozenMeterEvent;
  /** The row's attempt count once this push is recorded; outcomes carry it. */
  attempt: number;
  /** A forced re-send of a completed push: success or failure leaves the row completed. */
  resend: boolean;
}

interface Prepared {
  rows: PushRow[];
  sends: Send[];
  failures: FailedPush[];
  resendFailed: number;
}

const defaultSleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** Outcomes travel through Temporal (2 MB per payload): a page of failures must stay well under it. */
const MAX_ERROR_LENGTH = 500;

function clip(error: string): string {
  return error.length <= MAX_ERROR_LENGTH ? error : `${error.slice(0, MAX_ERROR_LENGTH - 1)}…`;
}

function callResult(error: unknown): StripeCallResult {
  return error instanceof StripeCallError ? (error.kind === 'duplicate_event' ? 'duplicate' : error.kind) : 'unexpected';
}

/**
 * `SyncToStripeActivity`: pushes one page of the window's pending ledger rows to Stripe.
 *
 * 1. Under the tenant's ledger lock, rows not yet valued get their meter event (mappings, value with the carried
 *    remainder, timestamp) and every row about to be sent gets an attempt counted, in one commit: the write-ahead
 *    record exists before any call. Rows that cannot be sent (no mapping, window too old, open circuit) fail here.
 * 2. Each meter event goes out with its ledger identifier as `identifier` and `Idempotency-Key`, paced by the
 *    account's token bucket, one call at a time per customer+meter, retried with backoff while Stripe says so.
 *
 * Outcomes are returned for `TrackSyncBatchActivity`; if this activity dies after calling Stripe, the rows are still
 * pending and the retry re-sends the same identities, which Stripe answers as already delivered.
 */
export class SyncToStripeActivity {
  private readonly now: () => number;
  private readonly sleep: (ms: number) => Promise<void>;

  constructor(
    private readonly ledger: SyncLedger,
    private readonly mappings: MappingReader,
    private readonly accounts: StripeAccountDirectory,
    private readonly breakers: StripeCircuitBreakers,
    private readonly metrics: SyncPipelineMetrics,
    private readonly logger: Logger,
    private readonly options: SyncToStripeOptions,
    private readonly mutex = new KeyedMutex(),
  ) {
    this.now = options.now ?? Date.now;
    this.sleep = options.sleep ?? defaultSleep;
  }

  async run(input: SyncToStripeInput): Promise<SyncToStripeResult> {
    const run = currentActivityRun();
    const scope: TenantScope = { tenantId: input.tenantId, environmentId: input.environmentId };
    const log = activityLogger(this.logger, 'SyncToStripeActivity', scope, run);
    const window = ledgerWindow(input.window);
    const startedMs = this.now();

    const account = await this.accounts.account(scope);
    const gate: CircuitGate = account.ready ? await this.breakers.gate(scope) : { state: 'closed' };
    const blocked = !account.ready ? account.reason : gate.state === 'open' ? gate.message : undefined;
    const prepared = await this.prepare(scope, window, input, blocked, run);

    const result: SyncToStripeResult = {
      rows: prepared.rows.length,
      completed: { ids: [], latencyMs: [] },
      failed: [...prepared.failures],
      alreadyDelivered: 0,
      resent: 0,
      resendFailed: prepared.resendFailed,
      nextAfterId: prepared.rows.at(-1)?.id ?? input.afterId,
      done: prepared.rows.length < this.options.pageSize,
    };
    if (account.ready && prepared.sends.length > 0) {
      await this.push(scope, account, gate, prepared.sends, result, run, log);
    }

    const reasons = new Map<string, number>();
    for (const failure of result.failed) reasons.set(failure.error, (reasons.get(failure.error) ?? 0) + 1);
    const summary = {
      rows: result.rows,
      completed: result.completed.ids.length,
      failed: result.failed.length,
      already_delivered: result.alreadyDelivered,
      resent: result.resent,
      resend_failed: result.resendFailed,
      duration_ms: this.now() - startedMs,
      ...(reasons.size > 0 ? { failure_reasons: Object.fromEntries([...reasons].sort((a, b) => b[1] - a[1]).slice(0, 5)) } : {}),
    };
    if (blocked && result.rows > 0) log.warn({ ...summary, reason: blocked }, 'pushes failed fast without calling Stripe');
    else log.info(summary, 'pushed a page of meter events');
    return result;
  }

  /** Step 1: the write-ahead commit of the page (or, when pushes cannot happen, failing them fast). */
  private async prepare(
    scope: TenantScope,
    window: LedgerWindow,
    input: SyncToStripeInput,
    blocked: string | undefined,
    run: ActivityRun,
  ): Promise<Prepared> {
    const nowMs = this.now();
    const margin = this.options.timestampMarginSeconds ?? DEFAULT_AGE_SAFETY_MARGIN_SECONDS;
    return this.ledger.underTenantLock(scope, async (manager) => {
      const rows = await this.ledger.pushPage(manager, {
        scope,
        window,
        afterId: input.afterId,
        limit: this.options.pageSize,
        resendCompletedSince: input.resendCompleted ? new Date(nowMs - this.options.dedupeWindowHours * 3_600_000) : undefined,
      });
      const prepared: Prepared = { rows, sends: [], failures: [], resendFailed: 0 };
      const fail = (row: PushRow, error: string): void => {
        if (row.status === 'completed') prepared.resendFailed += 1;
        else prepared.failures.push({ id: row.id, attempt: row.attemptCount, error: clip(error) });
      };
      if (blocked !== undefined) {
        for (const row of rows) fail(row, blocked);
        return prepared;
      }

      const unvalued = rows.filter((row) => !row.frozen && !row.incomplete && row.status === 'pending');
      const meters = await this.mappings.meterMappings(scope, manager);
      const customers = await this.mappings.stripeCustomers(
        scope,
        unvalued.map((row) => row.customerId),
        manager,
      );
      const remainders: Map<string, SeriesRemainder> = await this.ledger.remainders(manager, scope, unvalued);
      const valued: ValuedPush[] = [];
      const attemptIds: string[] = [];
      const remainderUpdates = new Map<string, RemainderUpdate>();

      for (const row of rows) {
        if (row.incomplete) {
          fail(row, 'ledger row has a value but no frozen meter event: not sent, to avoid sending a different body');
          continue;
        }
        if (row.frozen) {
          if (row.payloadHash !== frozenHash(row, row.frozen)) {
            fail(row, 'ledger payload hash mismatch: the frozen meter event was changed outside the sync worker');
            continue;
          }
          const timestamp = checkMeterEventTimestamp(row.frozen.timestamp, nowMs, margin);
          if (!timestamp.ok) {
            fail(row, timestamp.reason);
            continue;
          }
          if (row.status === 'completed') {
            prepared.sends.push({ row, event: row.frozen, attempt: row.attemptCount, resend: true });
          } else {
            attemptIds.push(row.id);
            prepared.sends.push({ row, event: row.frozen, attempt: row.attemptCount + 1, resend: false });
          }
          continue;
        }
        if (row.status !== 'pending') continue;
        const meter = meters.get(row.meterId);
        if (!meter) {
          fail(row, 'meter mapping not found');
          continue;
        }
        if (!meter.syncEnabled) {
          fail(row, 'meter mapping has sync disabled');
          continue;
        }
        const stripeCustomerId = customers.get(row.customerId);
        if (!stripeCustomerId) {
          fail(row, 'customer mapping not found');
          continue;
        }
        const timestamp = meterEventTimestamp(window, nowMs, margin);
        if (!timestamp.ok) {
          fail(row, timestamp.reason);
          continue;
        }
        const seriesKey = seriesKeyOf(row);
        const carried = remainders.get(seriesKey) ?? { precision: meter.precision, remainder: '0' };
        let value;
        try {
          value = toStripeValue({
            quantityDelta: scaledToDecimal(decimalToScaled(row.quantity) - decimalToScaled(row.coveredQuantity)),
            precision: meter.precision,
            carried: carried.remainder,
            carriedPrecision: carried.precision,
          });
        } catch (error) {
          fail(row, `value cannot be sent to Stripe: ${error instanceof Error ? error.message : String(error)}`);
          continue;
        }
        const event: FrozenMeterEvent = {
          eventName: meter.eventName,
          stripeCustomerId,
          value: value.value.toString(),
          precision: meter.precision,
          timestamp: timestamp.seconds,
        };
        const next: RemainderUpdate = {
          customerId: row.customerId,
          meterId: row.meterId,
          eventType: row.eventType,
          precision: meter.precision,
          remainder: value.remainder,
        };
        remainders.set(seriesKey, next);
        remainderUpdates.set(seriesKey, next);
        valued.push({ id: row.id, payloadHash: frozenHash(row, event), event });
        prepared.sends.push({ row, event, attempt: row.attemptCount + 1, resend: false });
      }
      await this.ledger.commitPushes(manager, { scope, valued, attemptIds, remainders: [...remainderUpdates.values()], run });
      return prepared;
    });
  }

  /** Step 2: the calls. A half-open circuit lets one probe through first; an auth failure trips it for the rest. */
  private async push(
    scope: TenantScope,
    account: { client: StripeAccountClient; limiter: RequestRateLimiter },
    gate: CircuitGate,
    sends: Send[],
    result: SyncToStripeResult,
    run: ActivityRun,
    log: Logger,
  ): Promise<void> {
    let authRefusal: string | undefined;
    let opening: Promise<string> | undefined;
    let circuitMessage: string | undefined;

    const record = (
      send: Send,
      outcome: { ok: true; duplicate: boolean; latencyMs: number } | { ok: false; error: string; latencyMs?: number },
    ): void => {
      if (send.resend) {
        if (outcome.ok) result.resent += 1;
        else {
          result.resendFailed += 1;
          log.warn(
            { batch_id: send.row.id, identifier: send.row.identifier, error: outcome.error },
            'forced re-send failed; the push stays completed',
          );
        }
        return;
      }
      if (outcome.ok) {
        result.completed.ids.push(send.row.id);
        result.completed.latencyMs.push(Math.round(outcome.latencyMs));
        if (outcome.duplicate) result.alreadyDelivered += 1;
        return;
      }
      result.failed.push({
        id: send.row.id,
        attempt: send.attempt,
        error: clip(outcome.error),
        ...(outcome.latencyMs === undefined ? {} : { latencyMs: Math.round(outcome.latencyMs) }),
      });
      log.warn({ batch_id: send.row.id, identifier: send.row.identifier, attempt: send.attempt, error: outcome.error }, 'push failed');
    };

    const pushOne = async (send: Send): Promise<void> => {
      let latencyMs: number | undefined;
      for (let attempt = 1; ; attempt += 1) {
        if (run.signal?.aborted) throw new CancelledFailure('activity cancelled while pushing');
        const refused = circuitMessage ?? authRefusal;
        if (refused !== undefined) return record(send, { ok: false, error: refused });
        await account.limiter.acquire();
        const callStart = performance.now();
        try {
          await account.client.createMeterEvent({
            eventName: send.event.eventName,
            stripeCustomerId: send.event.stripeCustomerId,
            value: send.event.value,
            identifier: send.row.identifier,
            idempotencyKey: send.row.identifier,
            timestamp: send.event.timestamp,
          });
          latencyMs = performance.now() - callStart;
          this.observe('ok', latencyMs);
          return record(send, { ok: true, duplicate: false, latencyMs });
        } catch (error) {
          latencyMs = performance.now() - callStart;
          this.observe(callResult(error), latencyMs);
          const decision = decidePush(error);
          switch (decision.action) {
            case 'delivered':
              return record(send, { ok: true, duplicate: true, latencyMs });
            case 'auth_failed':
              authRefusal ??= decision.message;
              opening ??= this.breakers.recordAuthFailure(scope, decision.message).then((message) => {
                circuitMessage = message;
                log.error({ reason: decision.message }, 'Stripe refused the API key: circuit opened');
                return message;
              });
              await opening;
              return record(send, { ok: false, error: decision.message, latencyMs });
            case 'retry':
              if (attempt >= this.options.maxAttempts) {
                return record(send, { ok: false, error: `${decision.message} (gave up after ${attempt} attempts)`, latencyMs });
              }
              await this.sleep(retryDelayMs(attempt, this.options.retryBaseMs, this.options.retryMaxMs));
              break;
            case 'fail':
              return record(send, { ok: false, error: decision.message, latencyMs });
          }
        } finally {
          run.heartbeat();
        }
      }
    };

    let queue = sends;
    if (gate.state === 'probe') {
      const [probe, ...rest] = sends;
      await pushOne(probe);
      if (authRefusal === undefined) {
        await this.breakers.recordRecovery(scope);
        log.info('probe push went through: circuit closed');
      }
      queue = rest;
    }
    const groups = new Map<string, Send[]>();
    for (const send of queue) {
      const key = `${scope.tenantId}\u0000${scope.environmentId}\u0000${send.event.stripeCustomerId}\u0000${send.event.eventName}`;
      const group = groups.get(key);
      if (group) group.push(send);
      else groups.set(key, [send]);
    }
    await forEachConcurrently([...groups.entries()], this.options.concurrency, async ([key, group]) => {
      for (const send of group) await this.mutex.run(key, () => pushOne(send));
    });
  }

  private observe(result: StripeCallResult, latencyMs: number): void {
    this.metrics.stripeCalls.inc({ result });
    this.metrics.pushDuration.observe({ result }, latencyMs / 1000);
  }
}

/** The hash a valued row must carry: its identity, measured totals and frozen meter event. */
function frozenHash(row: PushRow, event: FrozenMeterEvent): string {
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
