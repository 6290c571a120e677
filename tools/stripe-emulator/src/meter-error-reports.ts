import type { RecordedMeterEvent } from './emulator-state';
import { sendStripeWebhook, type StripeWebhookResult } from './webhook-sender';

export const METER_ERROR_REPORT_EVENT = 'v1.billing.meter.error_report_triggered';

/** Where the emulator delivers its meter error reports (Stripe: an event destination of the account). */
export interface ErrorReportTarget {
  url: string;
  secret: string;
}

/** One delivery attempt of an error report, kept for tests and the admin API. */
export interface ErrorReportDelivery {
  accountId: string;
  meterId: string;
  eventId: string;
  identifiers: string[];
  status: number | null;
  error?: string;
}

/**
 * The `data` Stripe puts in a `v1.billing.meter.error_report_triggered` event (`reason.error_types[].sample_errors`),
 * with the meter it relates to. Stripe samples the errors; the emulator lists every rejected event so a handler can
 * be tested exactly.
 */
export function buildMeterErrorReport(meterId: string, events: readonly RecordedMeterEvent[], nowMs: number): Record<string, unknown> {
  const byCode = new Map<string, RecordedMeterEvent[]>();
  for (const event of events) {
    const code = event.rejection?.code ?? 'unknown';
    byCode.set(code, [...(byCode.get(code) ?? []), event]);
  }
  const validationStart = Math.min(...events.map((event) => event.created * 1000));
  return {
    object: 'v1.billing.meter.error_report',
    meter: meterId,
    related_object: { id: meterId, type: 'billing.meter', url: `/v1/billing/meters/${meterId}` },
    developer_message_summary: `${events.length} meter event(s) for meter ${meterId} failed validation.`,
    reason: {
      error_count: events.length,
      error_types: [...byCode.entries()].map(([code, rejected]) => ({
        code,
        error_count: rejected.length,
        sample_errors: rejected.map((event) => ({
          error_message: event.rejection?.message ?? '',
          request: { identifier: event.identifier },
        })),
      })),
    },
    validation_start: new Date(validationStart).toISOString(),
    validation_end: new Date(nowMs).toISOString(),
  };
}

/** Sends one error report per account and meter for the events the asynchronous validation rejected. */
export class MeterErrorReporter {
  private readonly log: ErrorReportDelivery[] = [];
  private inFlight: Array<Promise<void>> = [];

  constructor(
    private readonly target: () => ErrorReportTarget | undefined,
    private readonly nowMs: () => number,
  ) {}

  report(rejected: readonly RecordedMeterEvent[]): void {
    const target = this.target();
    if (target === undefined || rejected.length === 0) {
      return;
    }
    const groups = new Map<string, RecordedMeterEvent[]>();
    for (const event of rejected) {
      const key = `${event.accountId}\u0000${event.meterId}`;
      groups.set(key, [...(groups.get(key) ?? []), event]);
    }
    for (const events of groups.values()) {
      const first = events[0];
      if (first === undefined) {
        continue;
      }
      const delivery = sendStripeWebhook({
        url: target.url,
        secret: target.secret,
        type: METER_ERROR_REPORT_EVENT,
        account: first.accountId,
        object: buildMeterErrorReport(first.meterId, events, this.nowMs()),
        created: Math.floor(this.nowMs() / 1000),
        signatureTimestamp: Math.floor(Date.now() / 1000),
      }).then(
        (result: StripeWebhookResult) => this.record(first, events, result.event.id, result.status),
        (error: unknown) => this.record(first, events, '', null, error instanceof Error ? error.message : String(error)),
      );
      this.inFlight.push(delivery);
    }
  }

  /** Waits for the deliveries started so far. */
  async flush(): Promise<void> {
    const pending = this.inFlight;
    this.inFlight = [];
    await Promise.all(pending);
  }

  deliveries(): ErrorReportDelivery[] {
    return [...this.log];
  }

  clear(): void {
    this.log.length = 0;
  }

  private record(first: RecordedMeterEvent, events: RecordedMeterEvent[], eventId: string, status: number | null, error?: string): void {
    this.log.push({
      accountId: first.accountId,
      meterId: first.meterId,
      eventId,
      identifiers: events.map((event) => event.identifier),
      status,
      ...(error === undefined ? {} : { error }),
    });
  }
}
