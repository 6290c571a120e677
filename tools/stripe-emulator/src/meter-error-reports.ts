import type { RecordedMeterEvent } from './emulator-state';
import { sendStripeWebhook, type StripeWebhookResult } from './webhook-sender';

export const METER_ERROR_REPORT_EVENT = 'v1.billing.meter.error_report_triggered';
/** Stripe's report for events whose `event_name` matches no meter. */
export const NO_METER_FOUND_EVENT = 'v1.billing.meter.no_meter_found';

/** A meter event Stripe's asynchronous validation refused. */
export interface RejectedMeterEvent {
  accountId: string;
  /** Null when no meter has the event's `event_name`. */
  meterId: string | null;
  eventName: string;
  identifier: string;
  code: string;
  message: string;
  /** Epoch ms when the event was accepted. */
  acceptedAtMs: number;
}

export function rejectedFromRecorded(event: RecordedMeterEvent): RejectedMeterEvent {
  return {
    accountId: event.accountId,
    meterId: event.meterId,
    eventName: event.eventName,
    identifier: event.identifier,
    code: event.rejection?.code ?? 'unknown',
    message: event.rejection?.message ?? '',
    acceptedAtMs: event.created * 1000,
  };
}

/** Where the emulator delivers its meter error reports (Stripe: an event destination of the account). */
export interface ErrorReportTarget {
  url: string;
  secret: string;
}

/** One delivery attempt of an error report, kept for tests and the admin API. */
export interface ErrorReportDelivery {
  accountId: string;
  type: string;
  meterId: string | null;
  eventId: string;
  identifiers: string[];
  status: number | null;
  error?: string;
}

/**
 * The `data` Stripe puts in a `v1.billing.meter.error_report_triggered` (or `…no_meter_found`) event:
 * `reason.error_types[].sample_errors`, with the meter it relates to. Stripe samples the errors; the emulator lists
 * every rejected event so a handler can be tested exactly.
 */
export function buildMeterErrorReport(
  meterId: string | null,
  events: readonly RejectedMeterEvent[],
  nowMs: number,
): Record<string, unknown> {
  const byCode = new Map<string, RejectedMeterEvent[]>();
  for (const event of events) {
    byCode.set(event.code, [...(byCode.get(event.code) ?? []), event]);
  }
  const validationStart = Math.min(...events.map((event) => event.acceptedAtMs));
  const subject = meterId === null ? `event name ${events[0]?.eventName ?? ''}` : `meter ${meterId}`;
  return {
    object: 'v1.billing.meter.error_report',
    meter: meterId,
    related_object: meterId === null ? null : { id: meterId, type: 'billing.meter', url: `/v1/billing/meters/${meterId}` },
    developer_message_summary: `${events.length} meter event(s) for ${subject} failed validation.`,
    reason: {
      error_count: events.length,
      error_types: [...byCode.entries()].map(([code, rejected]) => ({
        code,
        error_count: rejected.length,
        sample_errors: rejected.map((event) => ({
          error_message: event.message,
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

  report(rejected: readonly RejectedMeterEvent[]): void {
    const target = this.target();
    if (target === undefined || rejected.length === 0) {
      return;
    }
    const groups = new Map<string, RejectedMeterEvent[]>();
    for (const event of rejected) {
      const key = `${event.accountId}\u0000${event.meterId ?? `no_meter:${event.eventName}`}`;
      groups.set(key, [...(groups.get(key) ?? []), event]);
    }
    for (const events of groups.values()) {
      const first = events[0];
      if (first === undefined) {
        continue;
      }
      const type = first.meterId === null ? NO_METER_FOUND_EVENT : METER_ERROR_REPORT_EVENT;
      const delivery = sendStripeWebhook({
        url: target.url,
        secret: target.secret,
        type,
        account: first.accountId,
        object: buildMeterErrorReport(first.meterId, events, this.nowMs()),
        created: Math.floor(this.nowMs() / 1000),
        signatureTimestamp: Math.floor(Date.now() / 1000),
      }).then(
        (result: StripeWebhookResult) => this.record(type, first, events, result.event.id, result.status),
        (error: unknown) => this.record(type, first, events, '', null, error instanceof Error ? error.message : String(error)),
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

  private record(
    type: string,
    first: RejectedMeterEvent,
    events: RejectedMeterEvent[],
    eventId: string,
    status: number | null,
    error?: string,
  ): void {
    this.log.push({
      accountId: first.accountId,
      type,
      meterId: first.meterId,
      eventId,
      identifiers: events.map((event) => event.identifier),
      status,
      ...(error === undefined ? {} : { error }),
    });
  }
}
