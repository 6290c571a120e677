import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { handleAdminRequest } from './admin-api';
import {
  type EmulatorAccount,
  type EmulatorAccountSeed,
  type EmulatorMeterSeed,
  EmulatorState,
  type IngestionSettings,
  type MeterEventFilter,
  type RecordedMeterEvent,
  type RequestCounts,
  type RequestLogEntry,
  type StreamRejection,
  type StripeMeter,
  type UsageTotal,
} from './emulator-state';
import { type FaultRule, type FaultRuleInput, FaultInjector, faultError } from './fault-injector';
import { BodyTooLargeError, readBody, sendJson, sleep } from './http-io';
import { IdempotencyStore } from './idempotency-store';
import { requestId as newRequestId } from './ids';
import {
  type ErrorReportDelivery,
  type ErrorReportTarget,
  MeterErrorReporter,
  type RejectedMeterEvent,
  rejectedFromRecorded,
} from './meter-error-reports';
import { canonicalParams, type ParamObject, parseFormParams, validateParams } from './request-params';
import { StripeApiError, stripeErrors } from './stripe-api-error';
import { matchRoute, type RouteContext, type StripeRoute } from './stripe-routes';
import { sendStripeWebhook, type StripeWebhookDelivery, type StripeWebhookResult } from './webhook-sender';

export const DEFAULT_STRIPE_EMULATOR_KEY = 'sk_test_flexsync_default';

export interface StripeEmulatorOptions {
  /** Defaults to 127.0.0.1. */
  host?: string;
  /** Defaults to 0: an ephemeral port, read it back from `port`/`url`. */
  port?: number;
  /** Defaults to one account answering to `sk_test_flexsync_default`. */
  accounts?: EmulatorAccountSeed[];
  /** Meters created in every account at start (and after a reset). */
  meters?: EmulatorMeterSeed[];
  /** v1 meter event calls per second per account (Stripe live: 1,000). */
  rateLimitPerSecond?: number;
  /** v2 meter event stream calls per second per account (Stripe live: 10,000). */
  streamRateLimitPerSecond?: number;
  faults?: FaultRuleInput[];
  /** Create a `sum` meter on first use of an unknown event_name instead of rejecting it. */
  autoCreateMeters?: boolean;
  /** How long an identifier blocks a second event (Stripe: at least 24 h). */
  identifierUniquenessSeconds?: number;
  /** Answer 409 to a meter event while another for the same customer and meter is in flight. */
  enforceCustomerMeterConcurrency?: boolean;
  /** Lifetime of a v2 meter event session token (Stripe: 15 minutes). */
  sessionTtlSeconds?: number;
  /** Clock in epoch milliseconds; defaults to Date.now. */
  now?: () => number;
  /** Randomness for rate-based faults; defaults to Math.random. */
  random?: () => number;
  requestLogLimit?: number;
  bodyLimitBytes?: number;
  /** Summaries count an event this long after it was accepted, as Stripe ingests asynchronously (default 3000). */
  ingestionDelayMs?: number;
  /** Reject, after the delay, events for customers the account does not hold (default false). */
  rejectUnknownCustomers?: boolean;
  /** Where `v1.billing.meter.error_report_triggered` events for asynchronously rejected events go. */
  errorReportWebhook?: ErrorReportTarget;
}

export const DEFAULT_INGESTION_DELAY_MS = 3000;

export interface IngestionControl extends IngestionSettings {
  errorReportWebhook: ErrorReportTarget | null;
}

export interface AccountSummary {
  id: string;
  apiKeys: string[];
  meters: StripeMeter[];
  rateLimitPerSecond: number;
}

/** Control surface shared by the in-process handle and the `/__admin` HTTP API. */
export interface StripeEmulatorControl {
  meterEvents(filter?: MeterEventFilter): RecordedMeterEvent[];
  totals(account?: string): UsageTotal[];
  requests(filter?: { account?: string; pathPrefix?: string }): RequestLogEntry[];
  requestCounts(filter?: { account?: string; pathPrefix?: string }): RequestCounts;
  streamRejections(account?: string): StreamRejection[];
  accounts(): AccountSummary[];
  addAccount(seed: EmulatorAccountSeed): AccountSummary;
  addMeter(account: string, seed: EmulatorMeterSeed): StripeMeter;
  injectFault(rule: FaultRuleInput): FaultRule;
  faults(): FaultRule[];
  clearFaults(): void;
  removeFault(id: string): boolean;
  setRateLimit(perSecond: number, account?: string): void;
  advanceClock(ms: number): void;
  clockOffsetMs(): number;
  now(): number;
  reset(): void;
  sendWebhook(delivery: StripeWebhookDelivery): Promise<StripeWebhookResult>;
  ingestion(): IngestionControl;
  configureIngestion(settings: Partial<IngestionControl>): IngestionControl;
  /** Runs the asynchronous validation due now and waits for the error reports it sends. */
  settleIngestion(): Promise<ErrorReportDelivery[]>;
  errorReports(): ErrorReportDelivery[];
}

export interface RunningStripeEmulator extends StripeEmulatorControl {
  url: string;
  host: string;
  port: number;
  state: EmulatorState;
  close(): Promise<void>;
}

interface ResolvedOptions {
  sessionTtlSeconds: number;
  enforceCustomerMeterConcurrency: boolean;
  bodyLimitBytes: number;
}

function parseAuthorization(header: string | undefined): string | undefined {
  if (header === undefined) {
    return undefined;
  }
  const [scheme, value] = header.trim().split(/\s+/, 2);
  if (value === undefined || value === '') {
    return undefined;
  }
  if (scheme?.toLowerCase() === 'bearer') {
    return value;
  }
  if (scheme?.toLowerCase() === 'basic') {
    const decoded = Buffer.from(value, 'base64').toString('utf8');
    return decoded.split(':', 1)[0] || undefined;
  }
  return undefined;
}

function headerValue(request: IncomingMessage, name: string): string | undefined {
  const value = request.headers[name];
  return Array.isArray(value) ? value[0] : value;
}

function summarise(account: EmulatorAccount): AccountSummary {
  return {
    id: account.id,
    apiKeys: [...account.apiKeys],
    meters: [...account.meters.values()],
    rateLimitPerSecond: account.meterEventBucket.rate,
  };
}

class StripeEmulatorServer {
  readonly state: EmulatorState;
  readonly faults: FaultInjector;
  readonly idempotency: IdempotencyStore;
  readonly errorReporter: MeterErrorReporter;
  private readonly locks = new Set<string>();
  private offsetMs = 0;
  private errorReportTarget: ErrorReportTarget | undefined;

  constructor(
    private readonly options: StripeEmulatorOptions,
    private readonly settings: ResolvedOptions,
  ) {
    const baseNow = options.now ?? Date.now;
    const now = (): number => baseNow() + this.offsetMs;
    this.state = new EmulatorState({
      now,
      rateLimitPerSecond: options.rateLimitPerSecond ?? 1000,
      streamRateLimitPerSecond: options.streamRateLimitPerSecond ?? 10_000,
      identifierUniquenessSeconds: options.identifierUniquenessSeconds ?? 24 * 60 * 60,
      autoCreateMeters: options.autoCreateMeters ?? false,
      requestLogLimit: options.requestLogLimit ?? 200_000,
      ingestion: this.startIngestion(),
    });
    this.errorReportTarget = options.errorReportWebhook;
    this.errorReporter = new MeterErrorReporter(() => this.errorReportTarget, now);
    this.faults = new FaultInjector(options.random ?? Math.random);
    this.idempotency = new IdempotencyStore(now);
    this.seed();
  }

  seed(): void {
    const accounts = this.options.accounts ?? [{ apiKeys: [DEFAULT_STRIPE_EMULATOR_KEY] }];
    for (const seed of accounts) {
      this.state.addAccount({ ...seed, meters: [...(this.options.meters ?? []), ...(seed.meters ?? [])] });
    }
    for (const rule of this.options.faults ?? []) {
      this.injectFault(rule);
    }
  }

  startIngestion(): IngestionSettings {
    return {
      delayMs: this.options.ingestionDelayMs ?? DEFAULT_INGESTION_DELAY_MS,
      rejectUnknownCustomers: this.options.rejectUnknownCustomers ?? false,
    };
  }

  ingestion(): IngestionControl {
    return { ...this.state.config.ingestion, errorReportWebhook: this.errorReportTarget ?? null };
  }

  configureIngestion(settings: Partial<IngestionControl>): IngestionControl {
    if (settings.delayMs !== undefined) {
      this.state.config.ingestion.delayMs = settings.delayMs;
    }
    if (settings.rejectUnknownCustomers !== undefined) {
      this.state.config.ingestion.rejectUnknownCustomers = settings.rejectUnknownCustomers;
    }
    if (settings.errorReportWebhook !== undefined) {
      this.errorReportTarget = settings.errorReportWebhook ?? undefined;
    }
    return this.ingestion();
  }

  /** Validates the events whose ingestion delay passed and reports the rejected ones. */
  settleIngestion(): void {
    const streamRejections = this.state.drainStreamRejections().map<RejectedMeterEvent>((rejection) => ({
      accountId: rejection.accountId,
      meterId: rejection.meterId,
      eventName: rejection.eventName,
      identifier: rejection.identifier ?? '',
      code: rejection.code,
      message: rejection.message,
      acceptedAtMs: rejection.at,
    }));
    this.errorReporter.report([...this.state.settleIngestion().map(rejectedFromRecorded), ...streamRejections]);
  }

  reset(): void {
    this.state.clear();
    this.errorReporter.clear();
    this.errorReportTarget = this.options.errorReportWebhook;
    Object.assign(this.state.config.ingestion, this.startIngestion());
    this.idempotency.clear();
    this.faults.clear();
    this.locks.clear();
    this.offsetMs = 0;
    this.seed();
  }

  injectFault(rule: FaultRuleInput): FaultRule {
    let accountId: string | undefined;
    if (rule.account !== undefined) {
      accountId = this.state.resolveAccount(rule.account)?.id;
      if (accountId === undefined) {
        throw new Error(`unknown account ${rule.account}`);
      }
    }
    return this.faults.add(rule, accountId);
  }

  advanceClock(ms: number): void {
    this.offsetMs += ms;
  }

  clockOffsetMs(): number {
    return this.offsetMs;
  }

  async handle(request: IncomingMessage, response: ServerResponse, control: StripeEmulatorControl): Promise<void> {
    const startedMs = Date.now();
    const requestId = newRequestId();
    const method = (request.method ?? 'GET').toUpperCase();
    const url = new URL(request.url ?? '/', 'http://stripe-emulator.local');
    const path = url.pathname;
    const log: RequestLogEntry = {
      requestId,
      at: this.state.nowMs(),
      method,
      path,
      status: 0,
      replayed: false,
      durationMs: 0,
    };
    const respond = (status: number, body: unknown, headers: Record<string, string> = {}): void => {
      const text = typeof body === 'string' ? body : JSON.stringify(body, null, 2);
      sendJson(response, status, text, { 'Request-Id': requestId, ...headers });
      log.status = status;
      log.durationMs = Date.now() - startedMs;
      this.state.logRequest(log);
    };
    const respondError = (error: StripeApiError): void => {
      log.errorType = error.body.type;
      log.errorMessage = error.body.message;
      if (error.body.code !== undefined) {
        log.errorCode = error.body.code;
      }
      respond(error.statusCode, { error: error.body }, error.headers);
    };

    let rawBody: string;
    try {
      rawBody = await readBody(request, this.settings.bodyLimitBytes);
    } catch (error) {
      if (error instanceof BodyTooLargeError) {
        respondError(stripeErrors.bodyTooLarge(error.limitBytes));
        return;
      }
      throw error;
    }

    if (path.startsWith('/__admin/')) {
      const result = await handleAdminRequest(control, method, path, url.searchParams, rawBody);
      sendJson(response, result.status, JSON.stringify(result.body, null, 2));
      return;
    }

    const idempotencyKey = method === 'POST' ? headerValue(request, 'idempotency-key') : undefined;
    if (idempotencyKey !== undefined) {
      log.idempotencyKey = idempotencyKey;
    }
    const matched = matchRoute(method, path);
    const credential = parseAuthorization(headerValue(request, 'authorization'));
    let account: EmulatorAccount | undefined;
    if (matched?.route.auth === 'session_token') {
      const session = credential === undefined ? undefined : this.state.sessions.get(credential);
      if (session === undefined) {
        respondError(credential === undefined ? stripeErrors.missingApiKey() : stripeErrors.invalidSessionToken());
        return;
      }
      log.accountId = session.accountId;
      if (this.state.nowMs() >= session.expiresAtMs) {
        respondError(stripeErrors.sessionExpired());
        return;
      }
      account = this.state.accounts.get(session.accountId);
    } else {
      if (credential === undefined) {
        respondError(stripeErrors.missingApiKey());
        return;
      }
      account = this.state.accountForKey(credential);
      if (account === undefined) {
        respondError(stripeErrors.invalidApiKey(credential));
        return;
      }
    }
    if (account === undefined) {
      respondError(stripeErrors.invalidSessionToken());
      return;
    }
    log.accountId = account.id;
    if (matched === undefined) {
      respondError(stripeErrors.unrecognizedUrl(method, path));
      return;
    }
    const { route, pathParams } = matched;

    const decision = this.faults.decide({ method, path, accountId: account.id });
    if (decision.drop !== undefined) {
      log.fault = 'drop';
      log.durationMs = Date.now() - startedMs;
      this.state.logRequest(log);
      request.socket.destroy();
      return;
    }
    // Stripe saves a 5xx under the request's Idempotency-Key like any executed answer (and replays it for the
    // key's 24 h), so such a fault is answered once the key is looked up, below.
    const savedFault =
      decision.status !== undefined && idempotencyKey !== undefined && (decision.status.status ?? 500) >= 500
        ? decision.status
        : undefined;
    if (decision.status !== undefined && savedFault === undefined) {
      log.fault = 'status';
      if (decision.latencyMs > 0) {
        await sleep(decision.latencyMs);
      }
      respondError(faultError(decision.status));
      return;
    }

    if (route.rateLimit !== undefined) {
      const bucket = route.rateLimit === 'stream' ? account.streamBucket : account.meterEventBucket;
      if (!bucket.tryTake()) {
        respondError(stripeErrors.rateLimited());
        return;
      }
    }

    let params: ParamObject = {};
    let json: unknown;
    if (route.api === 'v1') {
      params = parseFormParams(method === 'POST' ? rawBody : url.searchParams);
    } else if (rawBody.trim() !== '') {
      try {
        json = JSON.parse(rawBody) as unknown;
      } catch {
        respondError(
          new StripeApiError(400, { type: 'invalid_request_error', code: 'invalid_fields', message: 'Invalid JSON body.' }),
        );
        return;
      }
    }

    if (idempotencyKey !== undefined) {
      if (idempotencyKey.length > 255) {
        respondError(stripeErrors.idempotencyKeyTooLong());
        return;
      }
      const fingerprint = `${method} ${path} ${canonicalParams(route.api === 'v1' ? params : (json ?? {}))}`;
      const outcome = this.idempotency.begin(account.id, idempotencyKey, fingerprint);
      switch (outcome.kind) {
        case 'in_flight':
          respondError(stripeErrors.idempotencyInFlight(idempotencyKey));
          return;
        case 'mismatch':
          respondError(stripeErrors.idempotencyMismatch(idempotencyKey));
          return;
        case 'replay':
          log.replayed = true;
          respond(outcome.response.status, outcome.response.body, {
            ...outcome.response.headers,
            'Idempotent-Replayed': 'true',
            'Original-Request': outcome.response.requestId,
          });
          return;
        case 'new':
          break;
      }
      if (savedFault !== undefined) {
        log.fault = 'status';
        if (decision.latencyMs > 0) {
          await sleep(decision.latencyMs);
        }
        const error = faultError(savedFault);
        this.idempotency.complete(account.id, idempotencyKey, {
          status: error.statusCode,
          body: JSON.stringify({ error: error.body }, null, 2),
          headers: error.headers,
          requestId,
        });
        respondError(error);
        return;
      }
    }

    const context: RouteContext = {
      state: this.state,
      account,
      params,
      json,
      pathParams,
      requestId,
      sessionTtlSeconds: this.settings.sessionTtlSeconds,
      settleIngestion: () => this.settleIngestion(),
      ...(idempotencyKey === undefined ? {} : { idempotencyKey }),
    };
    const result = await this.execute(route, context, decision.latencyMs);
    if (idempotencyKey !== undefined) {
      if (result.save) {
        this.idempotency.complete(account.id, idempotencyKey, {
          status: result.status,
          body: result.body,
          headers: result.headers,
          requestId,
        });
      } else {
        this.idempotency.abandon(account.id, idempotencyKey);
      }
    }
    if (result.error !== undefined) {
      respondError(result.error);
    } else {
      respond(result.status, result.body, result.headers);
    }
  }

  private async execute(
    route: StripeRoute,
    context: RouteContext,
    latencyMs: number,
  ): Promise<{ status: number; body: string; headers: Record<string, string>; save: boolean; error?: StripeApiError }> {
    let lockKey: string | undefined;
    try {
      if (route.params !== undefined) {
        validateParams(context.params, route.params);
      }
      if (this.settings.enforceCustomerMeterConcurrency && route.lockKey !== undefined) {
        lockKey = route.lockKey(context);
        if (lockKey !== undefined) {
          if (this.locks.has(lockKey)) {
            lockKey = undefined;
            throw stripeErrors.customerMeterBusy();
          }
          this.locks.add(lockKey);
        }
      }
      if (latencyMs > 0) {
        await sleep(latencyMs);
      }
      const result = route.handle(context);
      return { status: result.status, body: JSON.stringify(result.body, null, 2), headers: {}, save: true };
    } catch (error) {
      const stripeError = error instanceof StripeApiError ? error : stripeErrors.apiError(500);
      return {
        status: stripeError.statusCode,
        body: JSON.stringify({ error: stripeError.body }, null, 2),
        headers: stripeError.headers,
        save: stripeError.saveForIdempotency,
        error: stripeError,
      };
    } finally {
      if (lockKey !== undefined) {
        this.locks.delete(lockKey);
      }
    }
  }
}

/**
 * Starts a stateful Stripe emulator on node:http. It answers the Stripe
 * endpoints this system uses with Stripe's shapes and rules, records what it
 * accepted, and injects faults on demand.
 */
export async function startStripeEmulator(options: StripeEmulatorOptions = {}): Promise<RunningStripeEmulator> {
  const server = new StripeEmulatorServer(options, {
    sessionTtlSeconds: options.sessionTtlSeconds ?? 15 * 60,
    enforceCustomerMeterConcurrency: options.enforceCustomerMeterConcurrency ?? true,
    bodyLimitBytes: options.bodyLimitBytes ?? 1024 * 1024,
  });
  const { state } = server;
  const resolve = (reference: string): EmulatorAccount => {
    const account = state.resolveAccount(reference);
    if (account === undefined) {
      throw new Error(`unknown account ${reference}`);
    }
    return account;
  };

  const control: StripeEmulatorControl = {
    meterEvents: (filter) => state.meterEvents(filter),
    totals: (account) => state.totals(account),
    requests: (filter) => state.requests(filter),
    requestCounts: (filter) => state.requestCounts(filter),
    streamRejections: (account) => state.streamRejections(account),
    accounts: () => [...state.accounts.values()].map(summarise),
    addAccount: (seed) => summarise(state.addAccount(seed)),
    addMeter: (account, seed) => state.createMeter(resolve(account), seed),
    injectFault: (rule) => server.injectFault(rule),
    faults: () => server.faults.list(),
    clearFaults: () => server.faults.clear(),
    removeFault: (id) => server.faults.remove(id),
    setRateLimit: (perSecond, account) => {
      const targets = account === undefined ? [...state.accounts.values()] : [resolve(account)];
      for (const target of targets) {
        target.meterEventBucket.setRate(perSecond);
      }
    },
    advanceClock: (ms) => server.advanceClock(ms),
    clockOffsetMs: () => server.clockOffsetMs(),
    now: () => state.nowMs(),
    reset: () => server.reset(),
    sendWebhook: (delivery) => sendStripeWebhook(delivery),
    ingestion: () => server.ingestion(),
    configureIngestion: (settings) => server.configureIngestion(settings),
    settleIngestion: async () => {
      server.settleIngestion();
      await server.errorReporter.flush();
      return server.errorReporter.deliveries();
    },
    errorReports: () => server.errorReporter.deliveries(),
  };
  // Stripe validates meter events in the background; so does the emulator, between requests too.
  const ingestionTimer = setInterval(() => server.settleIngestion(), 250);
  ingestionTimer.unref();

  const httpServer: Server = createServer((request, response) => {
    server.handle(request, response, control).catch((error: unknown) => {
      if (!response.headersSent) {
        const body = JSON.stringify({ error: stripeErrors.apiError(500).body });
        sendJson(response, 500, body);
      }
      response.destroy(error instanceof Error ? error : undefined);
    });
  });
  // Keep-alive sockets outliving close() would hold test processes open.
  httpServer.keepAliveTimeout = 5_000;

  const host = options.host ?? '127.0.0.1';
  await new Promise<void>((resolveListen, rejectListen) => {
    httpServer.once('error', rejectListen);
    httpServer.listen(options.port ?? 0, host, () => {
      httpServer.off('error', rejectListen);
      resolveListen();
    });
  });
  const port = (httpServer.address() as AddressInfo).port;

  return {
    ...control,
    url: `http://${host}:${port}`,
    host,
    port,
    state,
    close: () =>
      new Promise<void>((resolveClose, rejectClose) => {
        clearInterval(ingestionTimer);
        httpServer.close((error) => (error === undefined ? resolveClose() : rejectClose(error)));
        httpServer.closeAllConnections();
      }),
  };
}
