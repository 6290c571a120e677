import type {
  EmulatorAccountSeed,
  EmulatorMeterSeed,
  MeterEventFilter,
  RecordedMeterEvent,
  RequestCounts,
  RequestLogEntry,
  StreamRejection,
  StripeMeter,
  UsageTotal,
} from './emulator-state';
import type { FaultRule, FaultRuleInput } from './fault-injector';
import type { ErrorReportDelivery } from './meter-error-reports';
import type { AccountSummary, IngestionControl } from './stripe-emulator';
import type { StripeWebhookDelivery, StripeWebhookResult } from './webhook-sender';

export class StripeEmulatorAdminError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
    this.name = 'StripeEmulatorAdminError';
  }
}

/**
 * The `/__admin` API of an emulator running in another process (the local
 * stack's, on 12180): what end-to-end tests read and control.
 */
export class StripeEmulatorAdminClient {
  readonly url: string;

  constructor(url: string) {
    this.url = url.replace(/\/+$/, '');
  }

  async health(): Promise<boolean> {
    try {
      const response = await fetch(`${this.url}/__admin/health`, { signal: AbortSignal.timeout(2_000) });
      return response.ok;
    } catch {
      return false;
    }
  }

  async meterEvents(filter: MeterEventFilter = {}): Promise<RecordedMeterEvent[]> {
    const query = new URLSearchParams();
    if (filter.account !== undefined) query.set('account', filter.account);
    if (filter.customer !== undefined) query.set('customer', filter.customer);
    if (filter.eventName !== undefined) query.set('event_name', filter.eventName);
    if (filter.includeCancelled === true) query.set('include_cancelled', 'true');
    return (await this.call<{ data: RecordedMeterEvent[] }>('GET', `/meter-events?${query.toString()}`)).data;
  }

  async totals(account?: string): Promise<UsageTotal[]> {
    const query = account === undefined ? '' : `?account=${encodeURIComponent(account)}`;
    return (await this.call<{ data: UsageTotal[] }>('GET', `/totals${query}`)).data;
  }

  requests(filter: { account?: string; pathPrefix?: string } = {}): Promise<{ counts: RequestCounts; data: RequestLogEntry[] }> {
    const query = new URLSearchParams();
    if (filter.account !== undefined) query.set('account', filter.account);
    if (filter.pathPrefix !== undefined) query.set('path_prefix', filter.pathPrefix);
    return this.call('GET', `/requests?${query.toString()}`);
  }

  async streamRejections(account?: string): Promise<StreamRejection[]> {
    const query = account === undefined ? '' : `?account=${encodeURIComponent(account)}`;
    return (await this.call<{ data: StreamRejection[] }>('GET', `/stream-rejections${query}`)).data;
  }

  async accounts(): Promise<AccountSummary[]> {
    return (await this.call<{ data: AccountSummary[] }>('GET', '/accounts')).data;
  }

  async addAccount(seed: EmulatorAccountSeed): Promise<AccountSummary> {
    const [account] = (await this.call<{ data: AccountSummary[] }>('POST', '/accounts', seed)).data;
    if (account === undefined) {
      throw new StripeEmulatorAdminError(500, 'the emulator returned no account');
    }
    return account;
  }

  addMeter(account: string, seed: EmulatorMeterSeed): Promise<StripeMeter> {
    return this.call('POST', '/meters', { account, ...seed });
  }

  async injectFault(rule: FaultRuleInput): Promise<FaultRule> {
    const [created] = (await this.call<{ data: FaultRule[] }>('POST', '/faults', rule)).data;
    if (created === undefined) {
      throw new StripeEmulatorAdminError(500, 'the emulator returned no fault');
    }
    return created;
  }

  async faults(): Promise<FaultRule[]> {
    return (await this.call<{ data: FaultRule[] }>('GET', '/faults')).data;
  }

  async clearFaults(): Promise<void> {
    await this.call('DELETE', '/faults');
  }

  async setRateLimit(perSecond: number, account?: string): Promise<void> {
    await this.call('POST', '/rate-limit', { perSecond, ...(account === undefined ? {} : { account }) });
  }

  advanceClock(ms: number): Promise<{ nowMs: number; offsetMs: number }> {
    return this.call('POST', '/clock', { advanceMs: ms });
  }

  async reset(): Promise<void> {
    await this.call('POST', '/reset', {});
  }

  ingestion(): Promise<IngestionControl> {
    return this.call('GET', '/ingestion');
  }

  configureIngestion(settings: Partial<IngestionControl>): Promise<IngestionControl> {
    return this.call('POST', '/ingestion', settings);
  }

  /** Runs the asynchronous validation due now; answers every error report delivered so far. */
  async settleIngestion(): Promise<ErrorReportDelivery[]> {
    return (await this.call<{ data: ErrorReportDelivery[] }>('POST', '/ingestion/settle', {})).data;
  }

  async errorReports(): Promise<ErrorReportDelivery[]> {
    return (await this.call<{ data: ErrorReportDelivery[] }>('GET', '/error-reports')).data;
  }

  sendWebhook(delivery: StripeWebhookDelivery): Promise<StripeWebhookResult> {
    return this.call('POST', '/webhooks', delivery);
  }

  private async call<T>(method: 'GET' | 'POST' | 'DELETE', path: string, body?: unknown): Promise<T> {
    const response = await fetch(`${this.url}/__admin${path}`, {
      method,
      ...(body === undefined ? {} : { headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(body) }),
    });
    const parsed = (await response.json()) as unknown;
    if (!response.ok) {
      const message =
        typeof parsed === 'object' && parsed !== null && 'error' in parsed
          ? String((parsed as { error: { message?: unknown } }).error.message)
          : `HTTP ${response.status}`;
      throw new StripeEmulatorAdminError(response.status, message);
    }
    return parsed as T;
  }
}
