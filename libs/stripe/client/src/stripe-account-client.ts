import Stripe from 'stripe';
import { maskSecret } from './mask-secret';
import type { RequestRateLimiter } from './request-rate-limiter';
import { parseStripeBaseUrl } from './stripe-base-url';
import { retryBackoffMs } from './retry-backoff';
import { StripeCallError, toStripeCallError } from './stripe-call-error';

export interface StripeAccountClientOptions {
  /** Secret or restricted key of one Stripe account. */
  apiKey: string;
  /** e.g. `http://127.0.0.1:12180` for the emulator; defaults to Stripe's API. */
  baseUrl?: string;
  /**
   * Retries of one call; default 0 so the caller's retry policy decides. Meter events are retried here rather than
   * by stripe-node, which re-uses the Idempotency-Key on each retry and so would only get a saved 5xx replayed.
   */
  maxNetworkRetries?: number;
  /** Per-request timeout; default 20 s. */
  timeoutMs?: number;
  /** Paces write calls; share one limiter per Stripe account across clients. */
  rateLimiter?: RequestRateLimiter;
}

export interface MeterEventToSend {
  /** The meter's `event_name`. */
  eventName: string;
  stripeCustomerId: string;
  /** A whole number (Stripe accepts no fractions); negative corrections are allowed. */
  value: number | bigint | string;
  /** Unique per account; Stripe refuses a second event with the same identifier. */
  identifier: string;
  /** Event time: a Date or unix seconds. */
  timestamp: Date | number;
  /** Defaults to the identifier, so a resend replays Stripe's first answer. */
  idempotencyKey?: string;
  /** Payload keys when the meter overrides Stripe's defaults (`stripe_customer_id`, `value`). */
  customerPayloadKey?: string;
  valuePayloadKey?: string;
}

export interface MeterEventReceipt {
  identifier: string;
  eventName: string;
  /** Unix seconds. */
  timestamp: number;
  /** Unix seconds. */
  created: number;
  livemode: boolean;
}

export interface MeterEventCancellationRequest {
  eventName: string;
  identifier: string;
  /** Defaults to `cancel:<identifier>`. */
  idempotencyKey?: string;
}

export interface MeterEventCancellation {
  eventName: string;
  identifier: string;
  status: string;
}

export interface BillingMeter {
  id: string;
  eventName: string;
  displayName: string;
  status: string;
  aggregationFormula: string;
  customerPayloadKey: string;
  valuePayloadKey: string;
  eventTimeWindow: string | null;
  created: number;
}

/** Which of a meter's aggregated values to read: one customer, a half-open `[startTime, endTime)`. */
export interface MeterEventSummaryQuery {
  meterId: string;
  stripeCustomerId: string;
  /** Aligned to the grouping window (or to a minute without one), as Stripe requires. */
  startTime: Date;
  endTime: Date;
  /** One summary per hour or day; without it, one summary for the whole range. */
  groupBy?: 'hour' | 'day';
}

/** Stripe's `billing.meter_event_summary`: the meter's aggregate over `[startTime, endTime)` (unix seconds). */
export interface MeterEventSummary {
  meterId: string;
  startTime: number;
  endTime: number;
  aggregatedValue: number;
}

export interface BalanceAmount {
  amount: number;
  currency: string;
}

export interface AccountBalance {
  livemode: boolean;
  available: BalanceAmount[];
  pending: BalanceAmount[];
}

/** Stripe accepts at most this many events per meter event stream request. */
export const METER_EVENT_STREAM_BATCH_LIMIT = 100;
/** Renew a session token this long before Stripe says it expires. */
const SESSION_RENEWAL_MARGIN_MS = 60_000;
/** Pause before the client's own meter event retries (stripe-node's defaults: 0.5 s doubling, up to 5 s). */
const METER_EVENT_RETRY_BASE_MS = 500;
const METER_EVENT_RETRY_MAX_MS = 5_000;
/** Timestamps above this are milliseconds passed by mistake (year 5138 in seconds). */
const MAX_UNIX_SECONDS = 99_999_999_999;

/**
 * The Idempotency-Key of a meter event after `serverErrors` 5xx answers to it: the base key first, then a fresh key
 * per 5xx (Stripe would replay the saved 5xx for the old one). Deterministic, so a key is never reused for another
 * body, and within Stripe's 255 characters for any identifier of up to 100.
 */
export function meterEventRetryKey(baseKey: string, serverErrors: number): string {
  return serverErrors === 0 ? baseKey : `${baseKey}~5xx${serverErrors}`;
}

function localError(detail: string, param: string, operation: string): StripeCallError {
  return new StripeCallError({ kind: 'invalid_request', detail, param, operation });
}

function wholeNumber(value: number | bigint | string, operation: string): string {
  if (typeof value === 'bigint') {
    return value.toString();
  }
  if (typeof value === 'number') {
    if (!Number.isSafeInteger(value)) {
      throw localError(`meter event value must be a whole number, got ${value}`, 'payload[value]', operation);
    }
    return String(value);
  }
  if (!/^-?\d+$/.test(value)) {
    throw localError(`meter event value must be a whole number, got '${value}'`, 'payload[value]', operation);
  }
  return value;
}

function unixSeconds(timestamp: Date | number, operation: string): number {
  const seconds = timestamp instanceof Date ? Math.floor(timestamp.getTime() / 1000) : timestamp;
  if (!Number.isInteger(seconds) || seconds < 0 || seconds > MAX_UNIX_SECONDS) {
    throw localError(`meter event timestamp must be a Date or whole unix seconds, got ${String(timestamp)}`, 'timestamp', operation);
  }
  return seconds;
}

interface StreamEvent {
  event_name: string;
  identifier: string;
  timestamp: string;
  payload: Record<string, string>;
}

interface StreamSession {
  token: string;
  expiresAtMs: number;
}

/**
 * Runs `send` (a stripe-node call) without the call-site stack stripe-node captures and formats on every request to
 * decorate its own errors: {@link toStripeCallError} keeps none of it, and at one request per meter event that trace
 * was a tenth of a push's CPU. The limit is restored before anything else runs (the capture is synchronous).
 */
function withoutCallSiteStack<T>(send: () => Promise<T>): Promise<T> {
  const limit = Error.stackTraceLimit;
  Error.stackTraceLimit = 0;
  try {
    return send();
  } finally {
    Error.stackTraceLimit = limit;
  }
}

/**
 * stripe-node rebuilds its `X-Stripe-Client-User-Agent` header (JSON of constants: SDK version, http library, app info;
 * telemetry is off) on every request; it cannot change for a client, so it is built once.
 */
function cacheClientUserAgent(stripe: Stripe): void {
  const build = stripe.getClientUserAgent.bind(stripe);
  let built: string | undefined;
  stripe.getClientUserAgent = (callback) => {
    if (built !== undefined) return callback(built);
    build((userAgent) => {
      built = userAgent;
      callback(userAgent);
    });
  };
}

/**
 * One Stripe account, through the official SDK: typed inputs, whole-number and
 * timestamp checks before sending, and every failure turned into a
 * {@link StripeCallError}. The API key never leaves this object unmasked.
 */
export class StripeAccountClient {
  readonly maskedApiKey: string;
  private readonly stripe: Stripe;
  private readonly secrets: readonly string[];
  private streamSession: StreamSession | undefined;

  constructor(private readonly options: StripeAccountClientOptions) {
    if (options.apiKey.trim() === '') {
      throw new Error('a Stripe API key is required');
    }
    this.maskedApiKey = maskSecret(options.apiKey);
    this.secrets = [options.apiKey];
    const hostSettings = options.baseUrl === undefined ? {} : parseStripeBaseUrl(options.baseUrl);
    this.stripe = new Stripe(options.apiKey, {
      ...hostSettings,
      maxNetworkRetries: options.maxNetworkRetries ?? 0,
      timeout: options.timeoutMs ?? 20_000,
      telemetry: false,
      appInfo: { name: 'flexprice-stripe-sync' },
    });
    cacheClientUserAgent(this.stripe);
  }

  /** `GET /v1/balance`: the cheapest call that proves a key works. */
  async retrieveBalance(): Promise<AccountBalance> {
    const balance = await this.call('retrieveBalance', () => this.stripe.balance.retrieve());
    const amounts = (entries: Array<{ amount: number; currency: string }>): BalanceAmount[] =>
      entries.map(({ amount, currency }) => ({ amount, currency }));
    return { livemode: balance.livemode, available: amounts(balance.available), pending: amounts(balance.pending) };
  }

  /** `GET /v1/account`: which Stripe account the key belongs to (`acct_…`), to bind webhooks to it. */
  async retrieveAccount(): Promise<{ id: string }> {
    const account = await this.call('retrieveAccount', () => this.stripe.accounts.retrieveCurrent());
    return { id: account.id };
  }

  /**
   * `POST /v1/billing/meter_events`. Stripe saves a 5xx under its Idempotency-Key and replays it for 24 h, so each
   * retry after a 5xx goes out under a fresh key ({@link meterEventRetryKey}) with the same `identifier`, whose own
   * dedupe still stops a double count; after a network failure or a 409 the key is kept (Stripe replays what it
   * did, if it did anything).
   */
  async createMeterEvent(event: MeterEventToSend): Promise<MeterEventReceipt> {
    const operation = 'createMeterEvent';
    const value = wholeNumber(event.value, operation);
    const timestamp = unixSeconds(event.timestamp, operation);
    const baseKey = event.idempotencyKey ?? event.identifier;
    const maxRetries = this.options.maxNetworkRetries ?? 0;
    let idempotencyKey = baseKey;
    let serverErrors = 0;
    for (let retry = 0; ; retry += 1) {
      await this.options.rateLimiter?.acquire();
      try {
        const created = await this.call(operation, () =>
          this.stripe.billing.meterEvents.create(
            {
              event_name: event.eventName,
              payload: {
                [event.customerPayloadKey ?? 'stripe_customer_id']: event.stripeCustomerId,
                [event.valuePayloadKey ?? 'value']: value,
              },
              identifier: event.identifier,
              timestamp,
            },
            { idempotencyKey, maxNetworkRetries: 0 },
          ),
        );
        return {
          identifier: created.identifier,
          eventName: created.event_name,
          timestamp: created.timestamp,
          created: created.created,
          livemode: created.livemode,
        };
      } catch (error) {
        if (!(error instanceof StripeCallError) || !error.retryable || retry >= maxRetries) throw error;
        if (error.kind === 'server') {
          serverErrors += 1;
          idempotencyKey = meterEventRetryKey(baseKey, serverErrors);
        }
        await new Promise((resolve) => setTimeout(resolve, retryBackoffMs(retry + 1, METER_EVENT_RETRY_BASE_MS, METER_EVENT_RETRY_MAX_MS)));
      }
    }
  }

  /** `POST /v1/billing/meter_event_adjustments` with `type=cancel`: the event stops counting. */
  async cancelMeterEvent(request: MeterEventCancellationRequest): Promise<MeterEventCancellation> {
    await this.options.rateLimiter?.acquire();
    const adjustment = await this.call('cancelMeterEvent', () =>
      this.stripe.billing.meterEventAdjustments.create(
        { event_name: request.eventName, type: 'cancel', cancel: { identifier: request.identifier } },
        { idempotencyKey: request.idempotencyKey ?? `cancel:${request.identifier}` },
      ),
    );
    return {
      eventName: adjustment.event_name,
      identifier: adjustment.cancel?.identifier ?? request.identifier,
      status: adjustment.status,
    };
  }

  /** `GET /v1/billing/meters`, every page. */
  async listMeters(filter: { status?: 'active' | 'inactive' } = {}): Promise<BillingMeter[]> {
    const meters = await this.call('listMeters', () =>
      this.stripe.billing.meters
        .list({ limit: 100, ...(filter.status === undefined ? {} : { status: filter.status }) })
        .autoPagingToArray({ limit: 10_000 }),
    );
    return meters.map((meter) => ({
      id: meter.id,
      eventName: meter.event_name,
      displayName: meter.display_name,
      status: meter.status,
      aggregationFormula: meter.default_aggregation.formula,
      customerPayloadKey: meter.customer_mapping.event_payload_key,
      valuePayloadKey: meter.value_settings.event_payload_key,
      eventTimeWindow: meter.event_time_window,
      created: meter.created,
    }));
  }

  /** `GET /v1/billing/meters/{id}/event_summaries`, every page (Stripe lists the newest window first). */
  async listMeterEventSummaries(query: MeterEventSummaryQuery): Promise<MeterEventSummary[]> {
    const summaries = await this.call('listMeterEventSummaries', () =>
      this.stripe.billing.meters
        .listEventSummaries(query.meterId, {
          customer: query.stripeCustomerId,
          start_time: Math.floor(query.startTime.getTime() / 1000),
          end_time: Math.floor(query.endTime.getTime() / 1000),
          limit: 100,
          ...(query.groupBy === undefined ? {} : { value_grouping_window: query.groupBy }),
        })
        .autoPagingToArray({ limit: 10_000 }),
    );
    return summaries.map((summary) => ({
      meterId: summary.meter,
      startTime: summary.start_time,
      endTime: summary.end_time,
      aggregatedValue: summary.aggregated_value,
    }));
  }

  /**
   * Sends events through the v2 meter event stream (Stripe's high-throughput
   * path): batches of up to 100, authenticated by a session token that is
   * renewed before it expires, and once more if Stripe reports it expired.
   * Stripe validates stream events asynchronously, so a success here means
   * "accepted for processing".
   */
  async sendMeterEventStream(events: readonly MeterEventToSend[]): Promise<void> {
    const operation = 'sendMeterEventStream';
    const prepared = events.map<StreamEvent>((event) => ({
      event_name: event.eventName,
      identifier: event.identifier,
      timestamp: new Date(unixSeconds(event.timestamp, operation) * 1000).toISOString(),
      payload: {
        [event.customerPayloadKey ?? 'stripe_customer_id']: event.stripeCustomerId,
        [event.valuePayloadKey ?? 'value']: wholeNumber(event.value, operation),
      },
    }));
    for (let start = 0; start < prepared.length; start += METER_EVENT_STREAM_BATCH_LIMIT) {
      const batch = prepared.slice(start, start + METER_EVENT_STREAM_BATCH_LIMIT);
      await this.options.rateLimiter?.acquire();
      try {
        await this.streamBatch(batch, operation);
      } catch (error) {
        if (!(error instanceof StripeCallError) || error.stripeType !== 'temporary_session_expired') {
          throw error;
        }
        this.streamSession = undefined;
        await this.streamBatch(batch, operation);
      }
    }
  }

  private async streamBatch(events: StreamEvent[], operation: string): Promise<void> {
    const token = await this.sessionToken();
    await this.call(operation, () => this.stripe.v2.billing.meterEventStream.create({ events }, { apiKey: token }), [token]);
  }

  private async sessionToken(): Promise<string> {
    if (this.streamSession !== undefined && this.streamSession.expiresAtMs - SESSION_RENEWAL_MARGIN_MS > Date.now()) {
      return this.streamSession.token;
    }
    const session = await this.call('createMeterEventSession', () => this.stripe.v2.billing.meterEventSession.create());
    this.streamSession = { token: session.authentication_token, expiresAtMs: Date.parse(session.expires_at) };
    return session.authentication_token;
  }

  private async call<T>(operation: string, send: () => Promise<T>, extraSecrets: readonly string[] = []): Promise<T> {
    try {
      return await withoutCallSiteStack(send);
    } catch (error) {
      throw toStripeCallError(error, { operation, secrets: [...this.secrets, ...extraSecrets] });
    }
  }
}
