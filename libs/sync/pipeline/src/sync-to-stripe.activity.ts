import type { Logger } from 'pino';
import type { SyncBatchStore, TenantScope } from '@flexsync/persistence';
import type { StripeMeterCheck } from '@flexsync/stripe-client';
import type { FailedPush, SyncToStripeInput, SyncToStripeResult } from '@flexsync/sync-contracts';
import { ActivityRun, activityLogger, currentActivityRun } from './activity-run';
import { ledgerWindow } from './aggregate-events.activity';
import type { LedgerWindow } from './ledger/ledger-rows';
import type { MappingReader } from './ledger/mappings';
import { clipError, planPushPage, type PlannedSend, type PushPagePlan } from './ledger/push-page-planner';
import type { SyncLedger } from './ledger/sync-ledger';
import { DEFAULT_AGE_SAFETY_MARGIN_SECONDS } from './meter-event-timestamp';
import type { CircuitGate, StripeCircuitBreakers } from './push/circuit-breakers';
import { applyMeterChecks, type PushMeterChecks } from './push/meter-checks';
import type { CustomerMeterLocks } from './push/customer-meter-locks';
import { MeterEventStreamSender } from './push/meter-event-stream-sender';
import { DEFAULT_ROW_RETRY_SCHEDULE, nextAttemptAt, type RowRetrySchedule } from './push/retry-schedule';
import type { StripeAccount, StripeAccountDirectory } from './push/stripe-accounts';
import { type SendOutcome, StripeMeterEventSender } from './push/stripe-meter-event-sender';
import type { SyncPipelineMetrics } from './sync-metrics';

export interface SyncToStripeOptions {
  /** Ledger rows pushed per activity call. */
  pageSize: number;
  /** Meter event calls in flight per page (each customer+meter still gets one at a time). */
  concurrency: number;
  /** Calls per push before a retryable failure (409/429/5xx/network) is recorded as failed. */
  maxAttempts: number;
  retryBaseMs: number;
  retryMaxMs: number;
  /**
   * Stripe's identifier-uniqueness period: a forced rerun re-sends only pushes acknowledged more recently, and a
   * push that may have reached Stripe is never re-sent once its first send is older.
   */
  dedupeWindowHours: number;
  /** Spacing of the system's own retries of failed rows across runs (`next_attempt_at`); default 1 min → 6 h. */
  rowRetry?: RowRetrySchedule;
  timestampMarginSeconds?: number;
  /**
   * Windows with more than this many pushes pending (or validating) go through the v2 meter event stream; unset:
   * always `POST /v1/billing/meter_events`.
   */
  streamAboveRows?: number;
  /** Stream requests (100 events each) in flight per page; default 4. */
  streamConcurrency?: number;
  /**
   * Ledger pages one activity call pushes through the stream, each page's write-ahead commit made while the page
   * before it is sent; default 10. Above 1, stream pages are half `pageSize`, so a call's failures stay within one
   * page's worth (see {@link SyncToStripeActivity.run}).
   */
  streamPagesPerCall?: number;
  /**
   * Ledger pages one activity call pushes through `POST /v1/billing/meter_events` while the circuit is closed, read
   * ahead as on the stream (half `pageSize` each above 1); default 4. Each call ends with a ledger round trip in
   * `TrackSyncBatchActivity`, so fewer, longer calls keep the account's rate budget busy.
   */
  pagesPerCall?: number;
  /** How long a stream-accepted push stays `validating` (Stripe may still report it rejected); default 1 h. */
  streamValidationSeconds?: number;
  now?: () => number;
  sleep?: (ms: number) => Promise<void>;
}

/**
 * `SyncToStripeActivity`: pushes one page of the window's pending ledger rows to Stripe.
 *
 * 1. Under the tenant's ledger lock, the page is planned ({@link planPushPage}) and its write-ahead commit made:
 *    rows not yet valued get their meter event, every row about to be sent gets an attempt counted, reversals of
 *    moved series are inserted, rows that may not be re-sent go `unknown`. The record exists before any call.
 * 2. {@link StripeMeterEventSender} makes the calls.
 *
 * While the circuit is closed, one call pushes several ledger pages (on v1 and on the v2 meter event stream): while
 * one page is sent, the next page's step 1 is made, so the ledger's round trips overlap Stripe's. A page that has
 * been prepared is always sent (a prepared row left unsent would read as a call made without an answer), so
 * read-ahead stops at the first failure; with half-size pages, a call returns at most one page's worth of failures.
 * A page read ahead of a page whose key Stripe refused fails fast on that refusal instead of calling Stripe.
 *
 * Outcomes are returned for `TrackSyncBatchActivity`, each failure with when the system itself tries again; if this
 * activity dies after calling Stripe, the rows are still pending and the retry re-sends the same identities, which
 * Stripe answers as already delivered (inside its dedupe horizon; past it the rows go `unknown`).
 */
const DEFAULT_STREAM_CONCURRENCY = 4;
const DEFAULT_STREAM_PAGES_PER_CALL = 10;
const DEFAULT_PAGES_PER_CALL = 4;
export const DEFAULT_STREAM_VALIDATION_SECONDS = 3_600;

interface PreparedPage {
  rows: number;
  plan: PushPagePlan & { lastId?: string };
}

export class SyncToStripeActivity {
  private readonly now: () => number;
  private readonly sender: StripeMeterEventSender;
  private readonly streamSender: MeterEventStreamSender;
  private readonly rowRetry: RowRetrySchedule;

  constructor(
    private readonly ledger: SyncLedger,
    private readonly mappings: MappingReader,
    private readonly accounts: StripeAccountDirectory,
    private readonly breakers: StripeCircuitBreakers,
    private readonly metrics: SyncPipelineMetrics,
    private readonly logger: Logger,
    private readonly options: SyncToStripeOptions,
    private readonly batches: SyncBatchStore,
    private readonly meterChecks?: PushMeterChecks,
    locks?: CustomerMeterLocks,
  ) {
    this.now = options.now ?? Date.now;
    this.rowRetry = options.rowRetry ?? DEFAULT_ROW_RETRY_SCHEDULE;
    this.sender = new StripeMeterEventSender(breakers, metrics, options, options.sleep, undefined, locks);
    this.streamSender = new MeterEventStreamSender(
      batches,
      metrics,
      { ...options, streamConcurrency: options.streamConcurrency ?? DEFAULT_STREAM_CONCURRENCY },
      options.sleep,
    );
  }

  async run(input: SyncToStripeInput): Promise<SyncToStripeResult> {
    const run = currentActivityRun();
    const scope: TenantScope = { tenantId: input.tenantId, environmentId: input.environmentId };
    const log = activityLogger(this.logger, 'SyncToStripeActivity', scope, run);
    const window = ledgerWindow(input.window);
    const startedMs = this.now();

    const settled = await this.batches.settleStreamValidation(
      scope,
      this.options.streamValidationSeconds ?? DEFAULT_STREAM_VALIDATION_SECONDS,
    );
    if (settled > 0) {
      this.metrics.streamEvents.inc({ outcome: 'settled' }, settled);
      this.metrics.batches.inc({ status: 'completed' }, settled);
      log.info({ settled }, 'stream pushes passed their validation period: completed');
    }

    const account = await this.accounts.account(scope);
    const gate: CircuitGate = account.ready ? await this.breakers.gate(scope) : { state: 'closed' };
    const blocked = !account.ready ? account.reason : gate.state === 'open' ? gate.message : undefined;
    const meterChecks =
      account.ready && blocked === undefined && this.meterChecks
        ? await this.meterChecks.check(scope, run, account.client, await this.mappings.meterMappings(scope), log)
        : undefined;
    // Decided once per call, before any page is read: sending a page turns pending rows validating, which count alike,
    // so the answer holds for every page of the call.
    const streaming = account.ready && blocked === undefined && gate.state === 'closed' && (await this.streams(scope, window));
    const pagesPerCall =
      gate.state !== 'closed' || blocked !== undefined
        ? 1
        : Math.max(
            1,
            streaming
              ? (this.options.streamPagesPerCall ?? DEFAULT_STREAM_PAGES_PER_CALL)
              : (this.options.pagesPerCall ?? DEFAULT_PAGES_PER_CALL),
          );
    const limit = pagesPerCall > 1 ? Math.max(1, Math.ceil(this.options.pageSize / 2)) : this.options.pageSize;
    const result: SyncToStripeResult = {
      rows: 0,
      completed: { ids: [], latencyMs: [] },
      failed: [],
      alreadyDelivered: 0,
      validating: 0,
      resent: 0,
      resendFailed: 0,
      nextAfterId: input.afterId,
      done: false,
    };
    const tally: { pages: number; unknown: number; reversals: number; streamed: boolean; refusal?: string } = {
      pages: 0,
      unknown: 0,
      reversals: 0,
      streamed: false,
    };
    const record = (send: PlannedSend, outcome: SendOutcome): void => this.record(send, outcome, result, log);
    const prepareAfter = (afterId: string | undefined): Promise<PreparedPage> => {
      const prepared = this.prepare(scope, window, { afterId, resendCompleted: input.resendCompleted, limit }, blocked, run, meterChecks);
      // Awaited later; a failure meanwhile must not count as unhandled.
      prepared.catch(() => undefined);
      return prepared;
    };
    let next: Promise<PreparedPage> | undefined = prepareAfter(input.afterId);
    while (next) {
      const { rows, plan } = await next;
      next = undefined;
      tally.pages += 1;
      tally.unknown += plan.unknown.length;
      tally.reversals += plan.reversals.length;
      result.rows += rows;
      result.resendFailed += plan.resendFailed;
      result.nextAfterId = plan.lastId ?? result.nextAfterId;
      result.done = rows < limit;
      const failedAt = this.now();
      for (const failure of plan.failures) {
        result.failed.push({
          id: failure.id,
          attempt: failure.attempt,
          error: failure.error,
          uncertain: failure.uncertain,
          ...(failure.retry ? { nextAttemptAt: nextAttemptAt(failure.failureCount + 1, failedAt, this.rowRetry) } : {}),
        });
      }
      // Reversals are inserted with new ids that may sort after the cursor: the next page is read only once they are sent.
      const readAhead = !result.done && tally.pages < pagesPerCall && result.failed.length === 0 && plan.reversals.length === 0;
      if (readAhead) next = prepareAfter(result.nextAfterId);
      try {
        const sends = [...plan.sends, ...plan.reversalSends];
        const sent = await this.sendPage(scope, account, gate, streaming, sends, record, run, log, result, tally.refusal);
        tally.streamed ||= sent.streamed;
        tally.refusal ??= sent.refusal;
      } catch (error) {
        // The page read ahead finishes its commit before the call fails; its rows stay pending for the retry.
        await next?.catch(() => undefined);
        throw error;
      }
    }

    const reasons = new Map<string, number>();
    for (const failure of result.failed) reasons.set(failure.error, (reasons.get(failure.error) ?? 0) + 1);
    const via = tally.streamed ? 'stream' : 'v1';
    const summary = {
      rows: result.rows,
      pages: tally.pages,
      completed: result.completed.ids.length,
      validating: result.validating ?? 0,
      via,
      failed: result.failed.length,
      unknown: tally.unknown,
      reversals: tally.reversals,
      already_delivered: result.alreadyDelivered,
      resent: result.resent,
      resend_failed: result.resendFailed,
      duration_ms: this.now() - startedMs,
      ...(reasons.size > 0 ? { failure_reasons: Object.fromEntries([...reasons].sort((a, b) => b[1] - a[1]).slice(0, 5)) } : {}),
    };
    if (blocked && result.rows > 0) log.warn({ ...summary, reason: blocked }, 'pushes failed fast without calling Stripe');
    else if (tally.unknown > 0) log.warn(summary, 'pushes past the dedupe horizon with an uncertain outcome left unknown');
    else log.info(summary, 'pushed a page of meter events');
    if (tally.unknown > 0) this.metrics.batches.inc({ status: 'unknown' }, tally.unknown);
    return result;
  }

  /**
   * Step 2 for one prepared page: through the stream when the window streams (forced re-sends of completed pushes
   * and a half-open circuit's probe keep to v1, whose answers are synchronous), else v1. Whether it streamed, and
   * the refusal of the account's key if Stripe refused it (`refusal` in: refused on an earlier page of this call).
   */
  private async sendPage(
    scope: TenantScope,
    account: StripeAccount,
    gate: CircuitGate,
    streaming: boolean,
    sends: readonly PlannedSend[],
    record: (send: PlannedSend, outcome: SendOutcome) => void,
    run: ActivityRun,
    log: Logger,
    result: SyncToStripeResult,
    refusal: string | undefined,
  ): Promise<{ streamed: boolean; refusal?: string }> {
    if (!account.ready || sends.length === 0) return { streamed: false };
    const streamable = streaming ? sends.filter((send) => !send.resend) : [];
    if (streamable.length > 0) {
      const streamed = await this.streamSender.send(scope, account, streamable, record, run, log);
      result.validating = (result.validating ?? 0) + streamed.accepted;
    }
    const v1 = streamable.length > 0 ? sends.filter((send) => send.resend) : sends;
    if (v1.length > 0) {
      const page = await this.sender.send(scope, account, gate, v1, record, run, log, refusal);
      // Rows that failed on the refused key may go out as soon as their windows are visited again.
      if (page.recovered) await this.ledger.dueFixedFailures(scope);
      return { streamed: streamable.length > 0, ...(page.refusal === undefined ? {} : { refusal: page.refusal }) };
    }
    return { streamed: streamable.length > 0 };
  }

  /** Whether the window is large enough for the v2 meter event stream. */
  private async streams(scope: TenantScope, window: LedgerWindow): Promise<boolean> {
    const threshold = this.options.streamAboveRows;
    if (threshold === undefined) return false;
    return (await this.batches.openStreamRows(scope, window, threshold + 1)) > threshold;
  }

  /** Step 1: plan the page and make its write-ahead commit, under the tenant's ledger lock. */
  private async prepare(
    scope: TenantScope,
    window: LedgerWindow,
    page: { afterId: string | undefined; resendCompleted: boolean | undefined; limit: number },
    blocked: string | undefined,
    run: ActivityRun,
    meterChecks: ReadonlyMap<string, StripeMeterCheck> | undefined,
  ): Promise<PreparedPage> {
    const nowMs = this.now();
    return this.ledger.underTenantLock(scope, async (manager) => {
      const rows = await this.ledger.pushPage(manager, {
        scope,
        window,
        afterId: page.afterId,
        limit: page.limit,
        resendCompletedSince: page.resendCompleted ? new Date(nowMs - this.options.dedupeWindowHours * 3_600_000) : undefined,
      });
      const unvalued = rows.filter((row) => !row.frozen && !row.incomplete && row.status === 'pending');
      const checked = blocked === undefined ? applyMeterChecks(await this.mappings.meterMappings(scope, manager), meterChecks) : undefined;
      const plan = planPushPage(rows, {
        scope,
        window,
        meters: checked?.meters ?? new Map(),
        ...(checked === undefined ? {} : { unusableEventNames: checked.unusableEventNames }),
        customers:
          blocked === undefined
            ? await this.mappings.stripeCustomers(
                scope,
                unvalued.map((row) => row.customerId),
                manager,
              )
            : new Map(),
        remainders: blocked === undefined ? await this.ledger.remainders(manager, scope, unvalued) : new Map(),
        nowMs,
        timestampMarginSeconds: this.options.timestampMarginSeconds ?? DEFAULT_AGE_SAFETY_MARGIN_SECONDS,
        dedupeHorizonMs: this.options.dedupeWindowHours * 3_600_000,
        ...(blocked === undefined ? {} : { blocked }),
      });
      if (blocked === undefined) {
        const { reversalIds } = await this.ledger.commitPushes(manager, {
          scope,
          window,
          valued: plan.valued,
          reversals: plan.reversals,
          attempts: plan.attempts,
          unknown: plan.unknown,
          remainders: plan.remainders,
          nowMs,
          run,
        });
        plan.reversalSends.forEach((send, index) => {
          send.id = reversalIds[index];
        });
      }
      return { rows: rows.length, plan: { ...plan, lastId: rows.at(-1)?.id } };
    });
  }

  private record(send: PlannedSend, outcome: SendOutcome, result: SyncToStripeResult, log: Logger): void {
    const id = send.id ?? '';
    if (send.resend) {
      if (outcome.ok) result.resent += 1;
      else {
        result.resendFailed += 1;
        log.warn({ batch_id: id, identifier: send.identifier, error: outcome.error }, 'forced re-send failed; the push stays completed');
      }
      return;
    }
    if (outcome.ok) {
      result.completed.ids.push(id);
      result.completed.latencyMs.push(Math.round(outcome.latencyMs));
      if (outcome.duplicate) result.alreadyDelivered += 1;
      return;
    }
    const failure: FailedPush = {
      id,
      attempt: send.attempt,
      error: clipError(outcome.error),
      uncertain: outcome.uncertain,
      ...(outcome.latencyMs === undefined ? {} : { latencyMs: Math.round(outcome.latencyMs) }),
      ...(outcome.retry ? { nextAttemptAt: nextAttemptAt(send.failureCount + 1, this.now(), this.rowRetry) } : {}),
    };
    result.failed.push(failure);
    log.warn(
      {
        batch_id: id,
        identifier: send.identifier,
        attempt: send.attempt,
        error: outcome.error,
        next_attempt_at: failure.nextAttemptAt ?? null,
      },
      'push failed',
    );
  }
}
