import { EXTERNAL_ID_RULE, isExternalId, isRecord } from '@flexsync/runtime';
import { PoisonMessageError } from '../errors';
import type { OutgoingMessage } from '../kafka-publisher';
import { stripeEventEnvelope, stripeEventEnvelopeProblem } from './stripe-event-envelope';
import type { StripeEventLike } from './stripe-customer-events';

/** Stripe's asynchronous meter event rejections, published by webhook-ingest and consumed by sync-worker (the ledger's owner). */
export const STRIPE_METER_ERROR_REPORTS_TOPIC = 'stripe.meter.error-reports';
/** Where sync-worker puts reports it can never apply, with the reason in the `dlq-reason` header. */
export const STRIPE_METER_ERROR_REPORTS_DLQ_TOPIC = 'stripe.meter.error-reports.dlq';

/** `…no_meter_found`: events whose event_name matches no meter (`meter` is null then). */
export const STRIPE_METER_ERROR_REPORT_EVENT_TYPES = ['v1.billing.meter.error_report_triggered', 'v1.billing.meter.no_meter_found'] as const;
export type StripeMeterErrorReportEventType = (typeof STRIPE_METER_ERROR_REPORT_EVENT_TYPES)[number];

export const STRIPE_METER_ERROR_REPORT_SCHEMA_VERSION = 1;

/** Stripe samples a report's errors; this bounds a message whatever a sender puts in one. */
export const MAX_METER_ERROR_SAMPLES = 1_000;
const MAX_CODE_LENGTH = 100;
const MAX_MESSAGE_LENGTH = 500;
const MAX_IDENTIFIER_LENGTH = 255;

/** One sampled rejection: the meter event (by the `identifier` the sync sent) and Stripe's reason. */
export interface MeterErrorSample {
  code: string;
  message: string;
  identifier: string;
}

export interface StripeMeterErrorReportMessage {
  schema_version: typeof STRIPE_METER_ERROR_REPORT_SCHEMA_VERSION;
  tenant_id: string;
  environment_id: string;
  stripe_event_id: string;
  event_type: StripeMeterErrorReportEventType;
  stripe_created: number;
  livemode: boolean;
  /** The Stripe meter id, or null for `no_meter_found`. */
  meter: string | null;
  /** Stripe's count of failed events in the report (more than the samples). */
  error_count: number;
  samples: MeterErrorSample[];
}

/** A report the consumer can never apply: dead-lettered with the reason. */
export class RejectedMeterErrorReportError extends PoisonMessageError {
  constructor(reason: string, options?: { cause?: unknown }) {
    super(reason, options);
    this.name = 'RejectedMeterErrorReportError';
  }
}

export function isStripeMeterErrorReportEventType(type: string): type is StripeMeterErrorReportEventType {
  return (STRIPE_METER_ERROR_REPORT_EVENT_TYPES as readonly string[]).includes(type);
}

function clip(value: string, length: number): string {
  return value.length <= length ? value : `${value.slice(0, length - 1)}…`;
}

/** `reason.error_types[].sample_errors[]` of Stripe's error report object, flattened; entries without an identifier are skipped. */
function samplesOf(reason: unknown): MeterErrorSample[] {
  const samples: MeterErrorSample[] = [];
  const types = isRecord(reason) && Array.isArray(reason.error_types) ? reason.error_types : [];
  for (const type of types) {
    if (!isRecord(type) || typeof type.code !== 'string' || !Array.isArray(type.sample_errors)) continue;
    for (const sample of type.sample_errors) {
      if (samples.length >= MAX_METER_ERROR_SAMPLES) return samples;
      const request = isRecord(sample) ? sample.request : undefined;
      const identifier = isRecord(request) ? request.identifier : undefined;
      if (typeof identifier !== 'string' || identifier.length === 0 || identifier.length > MAX_IDENTIFIER_LENGTH) continue;
      const message = isRecord(sample) && typeof sample.error_message === 'string' ? sample.error_message : '';
      samples.push({ code: clip(type.code, MAX_CODE_LENGTH), message: clip(message, MAX_MESSAGE_LENGTH), identifier });
    }
  }
  return samples;
}

/** The message for a verified Stripe meter error report; undefined when the event is not one or carries no report object. */
export function stripeMeterErrorReportFromStripeEvent(
  scope: { tenantId: string; environmentId: string },
  event: StripeEventLike,
): StripeMeterErrorReportMessage | undefined {
  if (!isStripeMeterErrorReportEventType(event.type)) return undefined;
  const object = event.data.object;
  if (!isRecord(object) || !isRecord(object.reason)) return undefined;
  const meter = typeof object.meter === 'string' && isExternalId(object.meter) ? object.meter : null;
  const errorCount = object.reason.error_count;
  const message: StripeMeterErrorReportMessage = {
    schema_version: STRIPE_METER_ERROR_REPORT_SCHEMA_VERSION,
    ...stripeEventEnvelope(scope, event, event.type),
    meter,
    error_count: typeof errorCount === 'number' && Number.isSafeInteger(errorCount) && errorCount >= 0 ? errorCount : 0,
    samples: samplesOf(object.reason),
  };
  return stripeMeterErrorReportProblem(message) === undefined ? message : undefined;
}

/** Why `value` is not a valid version-1 message, or undefined when it is. */
export function stripeMeterErrorReportProblem(value: unknown): string | undefined {
  if (!isRecord(value)) return 'message is not a JSON object';
  if (value.schema_version !== STRIPE_METER_ERROR_REPORT_SCHEMA_VERSION) return `unsupported schema_version ${JSON.stringify(value.schema_version)}`;
  const envelope = stripeEventEnvelopeProblem(value, isStripeMeterErrorReportEventType);
  if (envelope) return envelope;
  if (value.meter !== null && !isExternalId(value.meter)) return `meter must be null or ${EXTERNAL_ID_RULE}`;
  if (typeof value.error_count !== 'number' || !Number.isSafeInteger(value.error_count) || value.error_count < 0)
    return 'error_count must be a whole number';
  if (!Array.isArray(value.samples) || value.samples.length > MAX_METER_ERROR_SAMPLES)
    return `samples must be an array of at most ${MAX_METER_ERROR_SAMPLES}`;
  const valid = value.samples.every(
    (sample: unknown) =>
      isRecord(sample) &&
      typeof sample.code === 'string' &&
      sample.code.length <= MAX_CODE_LENGTH &&
      typeof sample.message === 'string' &&
      sample.message.length <= MAX_MESSAGE_LENGTH &&
      typeof sample.identifier === 'string' &&
      sample.identifier.length > 0 &&
      sample.identifier.length <= MAX_IDENTIFIER_LENGTH,
  );
  return valid ? undefined : 'samples must carry code, message and identifier strings within their limits';
}

export function encodeStripeMeterErrorReport(message: StripeMeterErrorReportMessage): OutgoingMessage {
  return {
    key: `${message.tenant_id}:${message.environment_id}:${message.meter ?? 'no_meter'}`,
    value: JSON.stringify(message),
    headers: {
      'event-type': message.event_type,
      'stripe-event-id': message.stripe_event_id,
      'tenant-id': message.tenant_id,
      'environment-id': message.environment_id,
      'schema-version': String(message.schema_version),
    },
  };
}

/** Parses and checks a consumed report; one that can never be valid throws `RejectedMeterErrorReportError`. */
export function decodeStripeMeterErrorReport(value: Buffer | null): StripeMeterErrorReportMessage {
  if (!value || value.length === 0) throw new RejectedMeterErrorReportError('empty message body');
  let parsed: unknown;
  try {
    parsed = JSON.parse(value.toString('utf8'));
  } catch (error) {
    throw new RejectedMeterErrorReportError('message body is not valid JSON', { cause: error });
  }
  const problem = stripeMeterErrorReportProblem(parsed);
  if (problem) throw new RejectedMeterErrorReportError(problem);
  return parsed as StripeMeterErrorReportMessage;
}
