import { stripeId } from './ids';
import { StripeApiError, stripeErrors } from './stripe-api-error';
import { StripeLimiterModel } from './stripe-limiter-model';

export type MeterFormula = 'sum' | 'count' | 'last';
export type MeterStatus = 'active' | 'inactive';

export interface EmulatorMeterSeed {
  id?: string;
  eventName: string;
  displayName?: string;
  formula?: MeterFormula;
  customerPayloadKey?: string;
  valuePayloadKey?: string;
  status?: MeterStatus;
  eventTimeWindow?: 'hour' | 'day';
}

export interface EmulatorAccountSeed {
  /** Defaults to an id derived from the first key (`sk_test_emulator_a` → `acct_emulator_a`). */
  id?: string;
  apiKeys: string[];
  meters?: EmulatorMeterSeed[];
  /** v1 meter event calls per second for this account; defaults to the emulator-wide rate. */
  rateLimitPerSecond?: number;
}

/** Stripe's `billing.meter` object. */
export interface StripeMeter {
  id: string;
  object: 'billing.meter';
  created: number;
  customer_mapping: { event_payload_key: string; type: 'by_id' };
  default_aggregation: { formula: MeterFormula };
  display_name: string;
  event_name: string;
  event_time_window: string | null;
  livemode: false;
  status: MeterStatus;
  status_transitions: { deactivated_at: number | null };
  updated: number;
  value_settings: { event_payload_key: string };
}

/** Stripe's `customer` object, with the fields this system reads or writes. */
export interface StripeCustomer {
  id: string;
  object: 'customer';
  address: null;
  balance: number;
  created: number;
  currency: string | null;
  default_source: null;
  delinquent: boolean;
  description: string | null;
  email: string | null;
  invoice_prefix: string;
  invoice_settings: { custom_fields: null; default_payment_method: null; footer: null; rendering_options: null };
  livemode: false;
  metadata: Record<string, string>;
  name: string | null;
  phone: string | null;
  preferred_locales: string[];
  shipping: null;
  tax_exempt: 'none';
  test_clock: null;
}

export type MeterEventSource = 'v1' | 'v2_stream';

/** What the emulator keeps of every meter event it accepted. */
export interface RecordedMeterEvent {
  accountId: string;
  identifier: string;
  eventName: string;
  meterId: string;
  customer: string;
  /** Whole number as sent (a string, like Stripe's payload). */
  value: string;
  /** Unix seconds, the event time. */
  timestamp: number;
  /** Unix seconds, when the emulator accepted it. */
  created: number;
  idempotencyKey?: string;
  requestId: string;
  source: MeterEventSource;
  payload: Record<string, string>;
  cancelled: boolean;
  cancelledAt?: number;
  /** Epoch ms from which Stripe's asynchronous validation has run and the event counts in summaries. */
  ingestAtMs: number;
  /** `processing` until `ingestAtMs`; then `counted`, or `rejected` with Stripe's error code. */
  ingestion: 'processing' | 'counted' | 'rejected';
  rejection?: { code: string; message: string };
}

/** How the emulator models Stripe's asynchronous meter event processing. */
export interface IngestionSettings {
  /** Summaries count an event only this long after it was accepted (Stripe: seconds to minutes). */
  delayMs: number;
  /** Reject, after the delay, events whose customer the account does not hold (`meter_event_customer_not_found`). */
  rejectUnknownCustomers: boolean;
}

export interface StreamRejection {
  accountId: string;
  at: number;
  code: string;
  message: string;
  event: unknown;
  eventName: string;
  identifier: string | null;
  /** The meter of the event's `event_name`, null when there is none. */
  meterId: string | null;
}

export interface MeterEventSession {
  id: string;
  accountId: string;
  token: string;
  createdMs: number;
  expiresAtMs: number;
}

export interface EmulatorAccount {
  id: string;
  apiKeys: Set<string>;
  meters: Map<string, StripeMeter>;
  meterIdByEventName: Map<string, string>;
  customers: Map<string, StripeCustomer>;
  events: RecordedMeterEvent[];
  eventsByIdentifier: Map<string, RecordedMeterEvent>;
  streamRejections: StreamRejection[];
  meterEventBucket: StripeLimiterModel;
  streamBucket: StripeLimiterModel;
}

export interface RequestLogEntry {
  requestId: string;
  /** Epoch milliseconds when the request arrived. */
  at: number;
  method: string;
  path: string;
  accountId?: string;
  status: number;
  idempotencyKey?: string;
  replayed: boolean;
  fault?: 'status' | 'drop';
  errorType?: string;
  errorCode?: string;
  errorMessage?: string;
  durationMs: number;
}

export interface RequestCounts {
  total: number;
  accepted: number;
  rejected: number;
  dropped: number;
  byStatus: Record<string, number>;
}

export interface UsageTotal {
  accountId: string;
  customer: string;
  eventName: string;
  /** Sum of the values of the non-cancelled events, as a number (exact while within 2^53). */
  total: number;
  /** The same sum as an exact decimal string. */
  totalExact: string;
  eventCount: number;
}

export interface MeterEventFilter {
  account?: string;
  includeCancelled?: boolean;
  customer?: string;
  eventName?: string;
}

export interface EmulatorStateConfig {
  now: () => number;
  rateLimitPerSecond: number;
  streamRateLimitPerSecond: number;
  identifierUniquenessSeconds: number;
  autoCreateMeters: boolean;
  requestLogLimit: number;
  ingestion: IngestionSettings;
}

export interface MeterEventInput {
  eventName: string;
  payload: Record<string, string>;
  identifier?: string;
  /** Unix seconds. */
  timestamp?: number;
}

export interface MeterEventProblem {
  /** The code Stripe uses in its meter event error reports. */
  code: string;
  message: string;
  param: string;
}

const MAX_EVENT_AGE_SECONDS = 35 * 24 * 60 * 60;
const MAX_FUTURE_SKEW_SECONDS = 5 * 60;
const ADJUSTMENT_WINDOW_SECONDS = 24 * 60 * 60;
const WHOLE_NUMBER = /^-?\d+$/;

export function accountIdForKey(key: string): string {
  const suffix = key.replace(/^(sk|rk)_(test|live)_/, '').replace(/[^A-Za-z0-9_]/g, '_');
  return `acct_${suffix === '' ? 'default' : suffix}`;
}

function unixSeconds(ms: number): number {
  return Math.floor(ms / 1000);
}

export class EmulatorState {
  readonly accounts = new Map<string, EmulatorAccount>();
  readonly sessions = new Map<string, MeterEventSession>();
  private readonly accountIdByKey = new Map<string, string>();
  private requestLog: RequestLogEntry[] = [];
  /** Accepted events whose asynchronous validation has not run yet, oldest first. */
  private processing: RecordedMeterEvent[] = [];
  private unreportedStreamRejections: StreamRejection[] = [];
  private readonly requestCounters = new Map<string, number>();

  constructor(readonly config: EmulatorStateConfig) {}

  nowMs(): number {
    return this.config.now();
  }

  nowSeconds(): number {
    return unixSeconds(this.config.now());
  }

  addAccount(seed: EmulatorAccountSeed): EmulatorAccount {
    const firstKey = seed.apiKeys[0];
    if (seed.id === undefined && firstKey === undefined) {
      throw new Error('an account needs an id or at least one API key');
    }
    const id = seed.id ?? accountIdForKey(firstKey ?? '');
    for (const key of seed.apiKeys) {
      const owner = this.accountIdByKey.get(key);
      if (owner !== undefined && owner !== id) {
        throw new Error(`API key already belongs to account ${owner}`);
      }
    }
    let account = this.accounts.get(id);
    if (account === undefined) {
      const rate = seed.rateLimitPerSecond ?? this.config.rateLimitPerSecond;
      account = {
        id,
        apiKeys: new Set(),
        meters: new Map(),
        meterIdByEventName: new Map(),
        customers: new Map(),
        events: [],
        eventsByIdentifier: new Map(),
        streamRejections: [],
        meterEventBucket: new StripeLimiterModel(rate, this.config.now),
        streamBucket: new StripeLimiterModel(this.config.streamRateLimitPerSecond, this.config.now),
      };
      this.accounts.set(id, account);
    } else if (seed.rateLimitPerSecond !== undefined) {
      account.meterEventBucket.setRate(seed.rateLimitPerSecond);
    }
    for (const key of seed.apiKeys) {
      account.apiKeys.add(key);
      this.accountIdByKey.set(key, id);
    }
    for (const meter of seed.meters ?? []) {
      if (!account.meterIdByEventName.has(meter.eventName)) {
        this.createMeter(account, meter);
      }
    }
    return account;
  }

  accountForKey(key: string): EmulatorAccount | undefined {
    const id = this.accountIdByKey.get(key);
    return id === undefined ? undefined : this.accounts.get(id);
  }

  /** Finds an account by its id or by one of its API keys. */
  resolveAccount(reference: string): EmulatorAccount | undefined {
    return this.accounts.get(reference) ?? this.accountForKey(reference);
  }

  createMeter(account: EmulatorAccount, seed: EmulatorMeterSeed): StripeMeter {
    if (account.meterIdByEventName.has(seed.eventName)) {
      throw stripeErrors.invalidRequest(
        `A meter with event_name \`${seed.eventName}\` already exists. You can only use an event name with a single meter.`,
        'event_name',
      );
    }
    const now = this.nowSeconds();
    const status = seed.status ?? 'active';
    const meter: StripeMeter = {
      id: seed.id ?? stripeId('mtr_test', 24),
      object: 'billing.meter',
      created: now,
      customer_mapping: { event_payload_key: seed.customerPayloadKey ?? 'stripe_customer_id', type: 'by_id' },
      default_aggregation: { formula: seed.formula ?? 'sum' },
      display_name: seed.displayName ?? seed.eventName,
      event_name: seed.eventName,
      event_time_window: seed.eventTimeWindow ?? null,
      livemode: false,
      status,
      status_transitions: { deactivated_at: status === 'inactive' ? now : null },
      updated: now,
      value_settings: { event_payload_key: seed.valuePayloadKey ?? 'value' },
    };
    account.meters.set(meter.id, meter);
    account.meterIdByEventName.set(meter.event_name, meter.id);
    return meter;
  }

  setMeterStatus(meter: StripeMeter, status: MeterStatus): StripeMeter {
    const now = this.nowSeconds();
    meter.status = status;
    meter.status_transitions = { deactivated_at: status === 'inactive' ? now : null };
    meter.updated = now;
    return meter;
  }

  /** The reasons Stripe would refuse this meter event, checked in the order it reports them. */
  checkMeterEvent(account: EmulatorAccount, input: MeterEventInput): { meter: StripeMeter } | MeterEventProblem {
    let meterId = account.meterIdByEventName.get(input.eventName);
    if (meterId === undefined && this.config.autoCreateMeters) {
      meterId = this.createMeter(account, { eventName: input.eventName }).id;
    }
    const meter = meterId === undefined ? undefined : account.meters.get(meterId);
    if (meter === undefined) {
      return {
        code: 'no_meter',
        message: `No active meter was found for event_name \`${input.eventName}\`. Create a meter with this event name before sending meter events.`,
        param: 'event_name',
      };
    }
    if (meter.status !== 'active') {
      return {
        code: 'archived_meter',
        message: `The meter \`${meter.id}\` for event_name \`${input.eventName}\` is inactive and does not accept meter events.`,
        param: 'event_name',
      };
    }
    const customerKey = meter.customer_mapping.event_payload_key;
    const customer = input.payload[customerKey];
    if (customer === undefined || customer === '') {
      return {
        code: 'meter_event_no_customer_defined',
        message: `The payload is missing the customer mapping key \`${customerKey}\`.`,
        param: `payload[${customerKey}]`,
      };
    }
    const valueKey = meter.value_settings.event_payload_key;
    const value = input.payload[valueKey];
    if (value === undefined && meter.default_aggregation.formula !== 'count') {
      return {
        code: 'meter_event_value_not_found',
        message: `The payload is missing the value key \`${valueKey}\`.`,
        param: `payload[${valueKey}]`,
      };
    }
    if (value !== undefined && !WHOLE_NUMBER.test(value)) {
      return {
        code: 'meter_event_invalid_value',
        message: `Invalid value \`${value}\` for \`${valueKey}\`: meter event values must be whole numbers.`,
        param: `payload[${valueKey}]`,
      };
    }
    const now = this.nowSeconds();
    if (input.timestamp !== undefined) {
      if (input.timestamp < now - MAX_EVENT_AGE_SECONDS) {
        return {
          code: 'timestamp_too_far_in_past',
          message: `The timestamp ${input.timestamp} is too far in the past: meter event timestamps must be within the past 35 calendar days.`,
          param: 'timestamp',
        };
      }
      if (input.timestamp > now + MAX_FUTURE_SKEW_SECONDS) {
        return {
          code: 'timestamp_in_future',
          message: `The timestamp ${input.timestamp} is too far in the future: meter event timestamps can be at most 5 minutes ahead.`,
          param: 'timestamp',
        };
      }
    }
    return { meter };
  }

  /** An earlier event with this identifier that still blocks it (Stripe enforces uniqueness for at least 24 h). */
  duplicateOf(account: EmulatorAccount, identifier: string): RecordedMeterEvent | undefined {
    const existing = account.eventsByIdentifier.get(identifier);
    if (existing === undefined) {
      return undefined;
    }
    return this.nowSeconds() - existing.created < this.config.identifierUniquenessSeconds ? existing : undefined;
  }

  recordMeterEvent(
    account: EmulatorAccount,
    meter: StripeMeter,
    input: MeterEventInput,
    context: { source: MeterEventSource; requestId: string; idempotencyKey?: string },
  ): RecordedMeterEvent {
    const now = this.nowSeconds();
    const identifier = input.identifier ?? stripeId('mev_emulated', 20);
    const event: RecordedMeterEvent = {
      accountId: account.id,
      identifier,
      eventName: input.eventName,
      meterId: meter.id,
      customer: input.payload[meter.customer_mapping.event_payload_key] ?? '',
      value: input.payload[meter.value_settings.event_payload_key] ?? '1',
      timestamp: input.timestamp ?? now,
      created: now,
      requestId: context.requestId,
      source: context.source,
      payload: { ...input.payload },
      cancelled: false,
      ingestAtMs: this.nowMs() + this.config.ingestion.delayMs,
      ingestion: 'processing',
      ...(context.idempotencyKey === undefined ? {} : { idempotencyKey: context.idempotencyKey }),
    };
    account.events.push(event);
    account.eventsByIdentifier.set(identifier, event);
    this.processing.push(event);
    return event;
  }

  cancelMeterEvent(account: EmulatorAccount, eventName: string, identifier: string): RecordedMeterEvent {
    const event = account.eventsByIdentifier.get(identifier);
    if (event === undefined || event.eventName !== eventName) {
      throw stripeErrors.invalidRequest(
        `No meter event with identifier \`${identifier}\` was found for event_name \`${eventName}\`.`,
        'cancel[identifier]',
      );
    }
    if (event.cancelled) {
      throw new StripeApiError(400, {
        type: 'invalid_request_error',
        message: `The meter event with identifier \`${identifier}\` has already been cancelled.`,
        param: 'cancel[identifier]',
      });
    }
    const now = this.nowSeconds();
    if (now - event.created > ADJUSTMENT_WINDOW_SECONDS) {
      throw stripeErrors.invalidRequest(
        `The meter event with identifier \`${identifier}\` can no longer be cancelled: cancellations must be sent within 24 hours of the event.`,
        'cancel[identifier]',
      );
    }
    event.cancelled = true;
    event.cancelledAt = now;
    return event;
  }

  /**
   * Runs Stripe's asynchronous validation for every event whose ingestion delay has passed: a meter deactivated
   * meanwhile (`archived_meter`) or, when configured, a customer the account does not hold
   * (`meter_event_customer_not_found`) rejects it; otherwise it counts. Returns the events rejected now.
   */
  settleIngestion(): RecordedMeterEvent[] {
    const now = this.nowMs();
    const rejected: RecordedMeterEvent[] = [];
    const waiting: RecordedMeterEvent[] = [];
    for (const event of this.processing) {
      if (event.ingestAtMs > now) {
        waiting.push(event);
        continue;
      }
      const rejection = this.asyncRejection(event);
      if (rejection === undefined) {
        event.ingestion = 'counted';
      } else {
        event.ingestion = 'rejected';
        event.rejection = rejection;
        rejected.push(event);
      }
    }
    this.processing = waiting;
    return rejected;
  }

  private asyncRejection(event: RecordedMeterEvent): { code: string; message: string } | undefined {
    const account = this.accounts.get(event.accountId);
    const meter = account?.meters.get(event.meterId);
    if (account === undefined || meter === undefined) {
      return undefined;
    }
    if (meter.status !== 'active') {
      return {
        code: 'archived_meter',
        message: `The meter \`${meter.id}\` was deactivated before the event with identifier \`${event.identifier}\` was processed.`,
      };
    }
    if (this.config.ingestion.rejectUnknownCustomers && !account.customers.has(event.customer)) {
      return {
        code: 'meter_event_customer_not_found',
        message: `No customer \`${event.customer}\` was found for the event with identifier \`${event.identifier}\`.`,
      };
    }
    return undefined;
  }

  recordStreamRejection(account: EmulatorAccount, code: string, message: string, event: unknown, input: MeterEventInput): void {
    const rejection: StreamRejection = {
      accountId: account.id,
      at: this.nowMs(),
      code,
      message,
      event,
      eventName: input.eventName,
      identifier: input.identifier ?? null,
      meterId: account.meterIdByEventName.get(input.eventName) ?? null,
    };
    account.streamRejections.push(rejection);
    // A duplicate identifier is not a validation error Stripe reports; every other stream rejection is.
    if (code !== 'duplicate_meter_event') {
      this.unreportedStreamRejections.push(rejection);
    }
  }

  /** Stream rejections not yet handed to the error reporter. */
  drainStreamRejections(): StreamRejection[] {
    const drained = this.unreportedStreamRejections;
    this.unreportedStreamRejections = [];
    return drained;
  }

  createCustomer(
    account: EmulatorAccount,
    fields: { email?: string; name?: string; description?: string; phone?: string; metadata?: Record<string, string> },
  ): StripeCustomer {
    const id = stripeId('cus', 14);
    const customer: StripeCustomer = {
      id,
      object: 'customer',
      address: null,
      balance: 0,
      created: this.nowSeconds(),
      currency: null,
      default_source: null,
      delinquent: false,
      description: fields.description ?? null,
      email: fields.email ?? null,
      invoice_prefix: id.slice(4, 12).toUpperCase(),
      invoice_settings: { custom_fields: null, default_payment_method: null, footer: null, rendering_options: null },
      livemode: false,
      metadata: { ...(fields.metadata ?? {}) },
      name: fields.name ?? null,
      phone: fields.phone ?? null,
      preferred_locales: [],
      shipping: null,
      tax_exempt: 'none',
      test_clock: null,
    };
    account.customers.set(id, customer);
    return customer;
  }

  createSession(account: EmulatorAccount, ttlSeconds: number): MeterEventSession {
    const createdMs = this.nowMs();
    const session: MeterEventSession = {
      id: stripeId('mes_test', 24),
      accountId: account.id,
      token: stripeId('mes_tok', 32),
      createdMs,
      expiresAtMs: createdMs + ttlSeconds * 1000,
    };
    this.sessions.set(session.token, session);
    return session;
  }

  meterEvents(filter: MeterEventFilter = {}): RecordedMeterEvent[] {
    return this.accountsFor(filter.account).flatMap((account) =>
      account.events.filter(
        (event) =>
          (filter.includeCancelled === true || !event.cancelled) &&
          (filter.customer === undefined || event.customer === filter.customer) &&
          (filter.eventName === undefined || event.eventName === filter.eventName),
      ),
    );
  }

  streamRejections(account?: string): StreamRejection[] {
    return this.accountsFor(account).flatMap((entry) => entry.streamRejections);
  }

  /** Per account and (customer, event_name): the sum of accepted values, cancelled and asynchronously rejected ones excluded. */
  totals(account?: string): UsageTotal[] {
    const sums = new Map<string, { accountId: string; customer: string; eventName: string; sum: bigint; count: number }>();
    for (const event of this.meterEvents(account === undefined ? {} : { account })) {
      if (event.ingestion === 'rejected') {
        continue;
      }
      const key = `${event.accountId}\u0000${event.customer}\u0000${event.eventName}`;
      const entry = sums.get(key) ?? {
        accountId: event.accountId,
        customer: event.customer,
        eventName: event.eventName,
        sum: 0n,
        count: 0,
      };
      entry.sum += BigInt(event.value);
      entry.count += 1;
      sums.set(key, entry);
    }
    return [...sums.values()].map((entry) => ({
      accountId: entry.accountId,
      customer: entry.customer,
      eventName: entry.eventName,
      total: Number(entry.sum),
      totalExact: entry.sum.toString(),
      eventCount: entry.count,
    }));
  }

  logRequest(entry: RequestLogEntry): void {
    this.requestLog.push(entry);
    // Trimmed a slice at a time: dropping the oldest entry on every request moved the whole log each call, which at
    // a 200,000-entry log and 1,000 calls/s took the emulator's CPU from the calls it answers. `requests()` still
    // returns exactly the newest `requestLogLimit`.
    const limit = this.config.requestLogLimit;
    if (this.requestLog.length > limit + Math.ceil(limit / 10)) {
      this.requestLog.splice(0, this.requestLog.length - limit);
    }
    const counterKey = [entry.accountId ?? '', entry.method, entry.path, entry.status, entry.fault ?? ''].join('\u0000');
    this.requestCounters.set(counterKey, (this.requestCounters.get(counterKey) ?? 0) + 1);
  }

  requests(filter: { account?: string; pathPrefix?: string } = {}): RequestLogEntry[] {
    const accountId = filter.account === undefined ? undefined : (this.resolveAccount(filter.account)?.id ?? filter.account);
    // The log may run up to a tenth past its limit between trims: only the newest `requestLogLimit` are listed.
    const first = Math.max(0, this.requestLog.length - this.config.requestLogLimit);
    return this.requestLog.filter(
      (entry, index) =>
        index >= first &&
        (accountId === undefined || entry.accountId === accountId) &&
        (filter.pathPrefix === undefined || entry.path.startsWith(filter.pathPrefix)),
    );
  }

  /** Counts over every request since the last reset (not capped like the log). */
  requestCounts(filter: { account?: string; pathPrefix?: string } = {}): RequestCounts {
    const accountId = filter.account === undefined ? undefined : (this.resolveAccount(filter.account)?.id ?? filter.account);
    const counts: RequestCounts = { total: 0, accepted: 0, rejected: 0, dropped: 0, byStatus: {} };
    for (const [key, count] of this.requestCounters) {
      const [entryAccount, , path, status, fault] = key.split('\u0000');
      if (accountId !== undefined && entryAccount !== accountId) {
        continue;
      }
      if (filter.pathPrefix !== undefined && !(path ?? '').startsWith(filter.pathPrefix)) {
        continue;
      }
      counts.total += count;
      if (fault === 'drop') {
        counts.dropped += count;
      } else if (Number(status) < 400) {
        counts.accepted += count;
      } else {
        counts.rejected += count;
      }
      const statusKey = fault === 'drop' ? 'dropped' : String(status);
      counts.byStatus[statusKey] = (counts.byStatus[statusKey] ?? 0) + count;
    }
    return counts;
  }

  /** Forgets everything: accounts, events, sessions and the request log. */
  clear(): void {
    this.accounts.clear();
    this.accountIdByKey.clear();
    this.sessions.clear();
    this.requestLog = [];
    this.requestCounters.clear();
    this.processing = [];
    this.unreportedStreamRejections = [];
  }

  private accountsFor(reference: string | undefined): EmulatorAccount[] {
    if (reference === undefined) {
      return [...this.accounts.values()];
    }
    const account = this.resolveAccount(reference);
    return account === undefined ? [] : [account];
  }
}
