import { CancelledFailure } from '@temporalio/activity';
import type { Logger } from 'pino';
import type { TenantScope } from '@flexsync/persistence';
import {
  meterEventRetryKey,
  retryBackoffMs,
  StripeCallError,
  type RequestRateLimiter,
  type StripeAccountClient,
} from '@flexsync/stripe-client';
import type { ActivityRun } from '../activity-run';
import type { PlannedSend } from '../ledger/push-page-planner';
import type { StripeCallResult, SyncPipelineMetrics } from '../sync-metrics';
import type { CircuitGate, StripeCircuitBreakers } from './circuit-breakers';
import type { CustomerMeterLease, CustomerMeterLocks } from './customer-meter-locks';
import { forEachConcurrently, KeyedMutex } from './keyed-mutex';
import { decidePush } from './push-decision';

export interface MeterEventSenderOptions {
  /** Meter event calls in flight per page (each customer+meter still gets one at a time). */
  concurrency: number;
  /** Calls per push before a retryable failure (409/429/5xx/network) is given up for this run. */
  maxAttempts: number;
  retryBaseMs: number;
  retryMaxMs: number;
}

export type SendOutcome =
  | { ok: true; duplicate: boolean; latencyMs: number }
  | {
      ok: false;
      error: string;
      latencyMs?: number;
      /** The cause may pass (Stripe said retry, or the key may be fixed): the system tries again on its own. */
      retry: boolean;
      /** Some call may have reached Stripe without an answer we could read (5xx, network, timeout). */
      uncertain: boolean;
    };

export interface SendPageResult {
  /** Why Stripe refused the account's key during this page (or before it: the `refusal` passed in), if it did. */
  refusal?: string;
  /** The half-open circuit's probe went through and closed it. */
  recovered: boolean;
}

/**
 * The Idempotency-Key of a push's call: the identifier on its first attempt, a key of the attempt's own on later
 * ones (a new run never inherits a 5xx Stripe saved for an earlier key), and a fresh key after each 5xx within an
 * attempt, since Stripe replays a saved 5xx for its key for 24 h. The identifier never changes, so Stripe's
 * identifier dedupe still stops a second count.
 */
export function pushIdempotencyKey(identifier: string, attempt: number, serverErrors: number): string {
  return meterEventRetryKey(attempt <= 1 ? identifier : `${identifier}~a${attempt}`, serverErrors);
}

const defaultSleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

export function callResult(error: unknown): StripeCallResult {
  return error instanceof StripeCallError ? (error.kind === 'duplicate_event' ? 'duplicate' : error.kind) : 'unexpected';
}

/** Whether a failed call may still have been executed by Stripe. */
function mayHaveReachedStripe(error: unknown): boolean {
  return error instanceof StripeCallError && (error.kind === 'server' || error.kind === 'network');
}

/**
 * `StripeMeterEventSender`: sends a page of planned pushes to one Stripe account. Each call waits for the account's
 * token bucket (the wait is a metric), goes out one at a time per customer+meter (Stripe's concurrency rule) with
 * the idempotency key of {@link pushIdempotencyKey}, and is retried with backoff while Stripe says so. A half-open
 * circuit lets one probe through first; an auth failure opens the circuit and fails the rest of the page.
 */
export class StripeMeterEventSender {
  constructor(
    private readonly breakers: StripeCircuitBreakers,
    private readonly metrics: SyncPipelineMetrics,
    private readonly options: MeterEventSenderOptions,
    private readonly sleep: (ms: number) => Promise<void> = defaultSleep,
    private readonly mutex = new KeyedMutex(),
    /** Stripe's per customer+meter rule across replicas; without it, only this worker's pages are kept apart. */
    private readonly locks?: CustomerMeterLocks,
  ) {}

  async send(
    scope: TenantScope,
    account: { client: StripeAccountClient; limiter: RequestRateLimiter; stripeAccountId: string },
    gate: CircuitGate,
    sends: readonly PlannedSend[],
    record: (send: PlannedSend, outcome: SendOutcome) => void,
    run: ActivityRun,
    log: Logger,
    refusal?: string,
  ): Promise<SendPageResult> {
    let authRefusal: string | undefined;
    let opening: Promise<string> | undefined;
    // A key refused on an earlier page of the same call fails this page fast, as an open circuit would.
    let circuitMessage: string | undefined = refusal;
    let recovered = false;

    const pushOne = async (send: PlannedSend): Promise<void> => {
      let latencyMs: number | undefined;
      let serverErrors = 0;
      let uncertain = send.uncertain;
      for (let call = 1; ; call += 1) {
        if (run.signal?.aborted) throw new CancelledFailure('activity cancelled while pushing');
        const refused = circuitMessage ?? authRefusal;
        if (refused !== undefined) return record(send, { ok: false, error: refused, retry: true, uncertain });
        const waitStart = performance.now();
        await account.limiter.acquire();
        this.metrics.rateLimiterWait.observe((performance.now() - waitStart) / 1000);
        const callStart = performance.now();
        try {
          await account.client.createMeterEvent({
            eventName: send.event.eventName,
            stripeCustomerId: send.event.stripeCustomerId,
            value: send.event.value,
            identifier: send.identifier,
            idempotencyKey: pushIdempotencyKey(send.identifier, send.attempt, serverErrors),
            timestamp: send.event.timestamp,
          });
          latencyMs = performance.now() - callStart;
          this.observe('ok', latencyMs);
          return record(send, { ok: true, duplicate: false, latencyMs });
        } catch (error) {
          latencyMs = performance.now() - callStart;
          this.observe(callResult(error), latencyMs);
          if (error instanceof StripeCallError && error.kind === 'server') serverErrors += 1;
          uncertain ||= mayHaveReachedStripe(error);
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
              return record(send, { ok: false, error: decision.message, latencyMs, retry: true, uncertain });
            case 'retry':
              if (call >= this.options.maxAttempts) {
                return record(send, {
                  ok: false,
                  error: `${decision.message} (gave up after ${call} attempts)`,
                  latencyMs,
                  retry: true,
                  uncertain,
                });
              }
              await this.sleep(retryBackoffMs(call, this.options.retryBaseMs, this.options.retryMaxMs));
              break;
            case 'fail':
              return record(send, { ok: false, error: decision.message, latencyMs, retry: false, uncertain });
          }
        } finally {
          run.heartbeat();
        }
      }
    };

    const lockKey = (send: PlannedSend): string => `${account.stripeAccountId}|${send.event.stripeCustomerId}|${send.event.eventName}`;
    const lease: CustomerMeterLease | undefined = this.locks ? await this.locks.lease([...new Set(sends.map(lockKey))]) : undefined;
    try {
      let queue = sends;
      if (gate.state === 'probe' && sends.length > 0) {
        const [probe, ...rest] = sends;
        await lease?.waitFor(lockKey(probe));
        await pushOne(probe);
        if (authRefusal === undefined) {
          await this.breakers.recordRecovery(scope);
          recovered = true;
          log.info('probe push went through: circuit closed');
        }
        queue = rest;
      }
      const groups = new Map<string, PlannedSend[]>();
      for (const send of queue) {
        const key = `${scope.tenantId}\u0000${scope.environmentId}\u0000${send.event.stripeCustomerId}\u0000${send.event.eventName}`;
        const group = groups.get(key);
        if (group) group.push(send);
        else groups.set(key, [send]);
      }
      // Customers+meters another replica is pushing right now go last, so their wait overlaps the rest of the page.
      const ordered = [...groups.values()].sort(
        (a, b) => Number(lease?.has(lockKey(b[0])) ?? true) - Number(lease?.has(lockKey(a[0])) ?? true),
      );
      await forEachConcurrently(ordered, this.options.concurrency, async (group) => {
        const [first] = group;
        await lease?.waitFor(lockKey(first));
        const key = `${scope.tenantId}\u0000${scope.environmentId}\u0000${first.event.stripeCustomerId}\u0000${first.event.eventName}`;
        for (const send of group) await this.mutex.run(key, () => pushOne(send));
        lease?.done(lockKey(first));
      });
    } finally {
      await lease?.release();
    }
    const refused = circuitMessage ?? authRefusal;
    return { ...(refused === undefined ? {} : { refusal: refused }), recovered };
  }

  private observe(result: StripeCallResult, latencyMs: number): void {
    this.metrics.stripeCalls.inc({ result });
    this.metrics.pushDuration.observe({ result }, latencyMs / 1000);
  }
}
