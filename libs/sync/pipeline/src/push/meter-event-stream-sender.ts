import { CancelledFailure } from '@temporalio/activity';
import type { Logger } from 'pino';
import type { StreamAcceptedPush, SyncBatchStore, TenantScope } from '@flexsync/persistence';
import { METER_EVENT_STREAM_BATCH_LIMIT, retryBackoffMs, type RequestRateLimiter, type StripeAccountClient } from '@flexsync/stripe-client';
import type { ActivityRun } from '../activity-run';
import type { PlannedSend } from '../ledger/push-page-planner';
import type { SyncPipelineMetrics } from '../sync-metrics';
import { forEachConcurrently } from './keyed-mutex';
import { decidePush } from './push-decision';
import { callResult, type SendOutcome } from './stripe-meter-event-sender';

export interface MeterEventStreamOptions {
  /** Stream requests (of up to 100 events) in flight per page. */
  streamConcurrency: number;
  maxAttempts: number;
  retryBaseMs: number;
  retryMaxMs: number;
}

const defaultSleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Marks accepted requests' rows `validating` without holding up the next request: rows accepted while one UPDATE
 * runs go together in the next, so a page costs a few ledger round trips instead of one per request. The page
 * waits for {@link settled} before it returns; if an UPDATE fails, the page stops sending and fails with it (the
 * rows stay pending, and the retry sends the same identifiers).
 */
class AcceptedRows {
  private queued: StreamAcceptedPush[] = [];
  private draining: Promise<void> = Promise.resolve();
  private running = false;
  private failure: { error: unknown } | undefined;
  private marked = 0;

  constructor(private readonly mark: (pushes: StreamAcceptedPush[]) => Promise<number>) {}

  get failed(): boolean {
    return this.failure !== undefined;
  }

  add(pushes: readonly StreamAcceptedPush[]): void {
    this.queued.push(...pushes);
    if (!this.running) this.draining = this.drain();
  }

  /** Every accepted row marked; how many rows changed. */
  async settled(): Promise<number> {
    await this.draining;
    if (this.failure) throw this.failure.error;
    return this.marked;
  }

  private async drain(): Promise<void> {
    this.running = true;
    try {
      while (this.queued.length > 0 && !this.failure) {
        this.marked += await this.mark(this.queued.splice(0));
      }
    } catch (error) {
      this.failure = { error };
    } finally {
      this.running = false;
    }
  }
}

/**
 * `MeterEventStreamSender`: sends a page of planned pushes through the v2 meter event stream, 100 events a request,
 * each request paced by the account's stream budget. The client holds the session and renews it before its
 * 15 minutes end (and once more if Stripe says it expired). An accepted request only means "accepted for
 * validation": its rows go `validating` (`SyncBatchStore.markStreamAccepted`, batched across requests by
 * {@link AcceptedRows}) before the page returns; a refused one fails all its rows with the same outcome a v1 call
 * would have had. Identifiers and values are the planner's, as on v1.
 */
export class MeterEventStreamSender {
  constructor(
    private readonly batches: SyncBatchStore,
    private readonly metrics: SyncPipelineMetrics,
    private readonly options: MeterEventStreamOptions,
    private readonly sleep: (ms: number) => Promise<void> = defaultSleep,
  ) {}

  async send(
    scope: TenantScope,
    account: { client: StripeAccountClient; streamLimiter: RequestRateLimiter },
    sends: readonly PlannedSend[],
    record: (send: PlannedSend, outcome: SendOutcome) => void,
    run: ActivityRun,
    log: Logger,
  ): Promise<{ accepted: number }> {
    const batches: PlannedSend[][] = [];
    for (let start = 0; start < sends.length; start += METER_EVENT_STREAM_BATCH_LIMIT) {
      batches.push(sends.slice(start, start + METER_EVENT_STREAM_BATCH_LIMIT));
    }
    const accepted = new AcceptedRows(async (pushes) => {
      const marked = await this.batches.markStreamAccepted(scope, pushes);
      this.metrics.streamEvents.inc({ outcome: 'accepted' }, marked);
      return marked;
    });
    const sending = forEachConcurrently(batches, this.options.streamConcurrency, async (batch) => {
      const fail = (error: string, retry: boolean, uncertain: boolean, latencyMs?: number): void => {
        for (const send of batch) record(send, { ok: false, error, retry, uncertain: uncertain || send.uncertain, latencyMs });
        this.metrics.streamEvents.inc({ outcome: 'failed' }, batch.length);
      };
      let uncertain = false;
      for (let call = 1; ; call += 1) {
        if (run.signal?.aborted) throw new CancelledFailure('activity cancelled while streaming');
        // The ledger refused an earlier request's rows: the page fails, and its unsent rows stay pending untouched.
        if (accepted.failed) return;
        const waitStart = performance.now();
        await account.streamLimiter.acquire();
        this.metrics.rateLimiterWait.observe((performance.now() - waitStart) / 1000);
        const callStart = performance.now();
        try {
          await account.client.sendMeterEventStream(
            batch.map((send) => ({
              eventName: send.event.eventName,
              stripeCustomerId: send.event.stripeCustomerId,
              value: send.event.value,
              identifier: send.identifier,
              timestamp: send.event.timestamp,
            })),
          );
          const latencyMs = performance.now() - callStart;
          this.metrics.stripeCalls.inc({ result: 'ok' });
          this.metrics.pushDuration.observe({ result: 'ok' }, latencyMs / 1000);
          accepted.add(batch.map((send) => ({ id: send.id ?? '', latencyMs })));
          return;
        } catch (error) {
          const latencyMs = performance.now() - callStart;
          const decision = decidePush(error);
          this.metrics.stripeCalls.inc({ result: callResult(error) });
          this.metrics.pushDuration.observe({ result: callResult(error) }, latencyMs / 1000);
          uncertain ||= decision.action === 'retry';
          switch (decision.action) {
            case 'retry':
              if (call >= this.options.maxAttempts)
                return fail(`${decision.message} (gave up after ${call} attempts)`, true, uncertain, latencyMs);
              await this.sleep(retryBackoffMs(call, this.options.retryBaseMs, this.options.retryMaxMs));
              break;
            case 'auth_failed':
              return fail(decision.message, true, uncertain, latencyMs);
            case 'delivered':
            case 'fail':
              log.warn(
                { events: batch.length, error: 'message' in decision ? decision.message : 'duplicate' },
                'meter event stream request refused',
              );
              return fail('message' in decision ? decision.message : 'duplicate identifier in stream request', false, uncertain, latencyMs);
          }
        } finally {
          run.heartbeat();
        }
      }
    });
    try {
      await sending;
    } catch (error) {
      // Rows Stripe already accepted are marked before the page fails, so its retry does not send them again.
      await accepted.settled().catch(() => undefined);
      throw error;
    }
    return { accepted: await accepted.settled() };
  }
}
