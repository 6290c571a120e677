import { EXTERNAL_ID_RULE, isExternalId, isRecord } from '@flexsync/runtime';
import { PoisonMessageError } from '../errors';
import type { OutgoingMessage } from '../kafka-publisher';
import { stripeEventEnvelope, stripeEventEnvelopeProblem } from './stripe-event-envelope';

/** Verified Stripe customer webhooks, published by webhook-ingest and consumed by mapping-service. */
export const STRIPE_CUSTOMER_EVENTS_TOPIC = 'stripe.customer.events';
/** Where mapping-service puts customer events it can never apply, with the reason in the `dlq-reason` header. */
export const STRIPE_CUSTOMER_EVENTS_DLQ_TOPIC = 'stripe.customer.events.dlq';

export const STRIPE_CUSTOMER_EVENT_TYPES = ['customer.created', 'customer.updated', 'customer.deleted'] as const;
export type StripeCustomerEventType = (typeof STRIPE_CUSTOMER_EVENT_TYPES)[number];

export const STRIPE_CUSTOMER_EVENT_SCHEMA_VERSION = 1;

/**
 * The message body. It carries only what mappings need (id, metadata, deleted), not the customer's
 * personal data; the full event stays in webhook-ingest's inbox table.
 */
export interface StripeCustomerEventMessage {
  schema_version: typeof STRIPE_CUSTOMER_EVENT_SCHEMA_VERSION;
  tenant_id: string;
  environment_id: string;
  stripe_event_id: string;
  event_type: StripeCustomerEventType;
  /** Stripe `event.created` (unix seconds): orders deliveries for the same customer. */
  stripe_created: number;
  livemode: boolean;
  customer: { id: string; metadata: Record<string, string>; deleted: boolean };
}

/** The minimal shape of a Stripe event this contract reads. */
export interface StripeEventLike {
  id: string;
  type: string;
  created: number;
  livemode?: boolean;
  data: { object: unknown };
}

/** Why a consumed customer event was refused; the label of `customer_mapping_events_rejected_total`. */
export type StripeCustomerEventRejection =
  | 'invalid_message'
  | 'invalid_field'
  | 'key_mismatch'
  | 'header_mismatch'
  | 'future_created'
  | 'database_refused';

/** A customer event the consumer refuses for good: dead-lettered with `reason`, counted under `rejection`. */
export class RejectedStripeCustomerEventError extends PoisonMessageError {
  constructor(
    readonly rejection: StripeCustomerEventRejection,
    reason: string,
    options?: { cause?: unknown },
  ) {
    super(reason, options);
    this.name = 'RejectedStripeCustomerEventError';
  }
}

/** Stripe's own metadata limits: 50 keys of up to 40 characters, values of up to 500. */
const MAX_METADATA_KEYS = 50;
const MAX_METADATA_KEY_LENGTH = 40;
const MAX_METADATA_VALUE_LENGTH = 500;

export function isStripeCustomerEventType(type: string): type is StripeCustomerEventType {
  return (STRIPE_CUSTOMER_EVENT_TYPES as readonly string[]).includes(type);
}

function metadataProblem(metadata: unknown): string | undefined {
  if (!isRecord(metadata) || !Object.values(metadata).every((v) => typeof v === 'string')) {
    return 'customer.metadata must be an object of strings';
  }
  const entries = Object.entries(metadata as Record<string, string>);
  if (entries.length > MAX_METADATA_KEYS) return `customer.metadata has more than ${MAX_METADATA_KEYS} keys`;
  if (
    entries.some(([key, value]) => key.length === 0 || key.length > MAX_METADATA_KEY_LENGTH || value.length > MAX_METADATA_VALUE_LENGTH)
  ) {
    return `customer.metadata keys must be 1-${MAX_METADATA_KEY_LENGTH} characters and values at most ${MAX_METADATA_VALUE_LENGTH}`;
  }
  return undefined;
}

/**
 * Why `value` is not a valid message, or undefined when it is. Tenant and environment follow the rule tokens and
 * webhook paths follow, Stripe ids the rule the mapping API applies, so the consumer never writes what the API refuses.
 */
export function stripeCustomerEventProblem(value: unknown): string | undefined {
  return formatProblem(value) ?? fieldProblem(value as Record<string, unknown>);
}

/** Not a version-1 message at all. */
function formatProblem(value: unknown): string | undefined {
  if (!isRecord(value)) return 'message is not a JSON object';
  if (value.schema_version !== STRIPE_CUSTOMER_EVENT_SCHEMA_VERSION)
    return `unsupported schema_version ${JSON.stringify(value.schema_version)}`;
  return undefined;
}

/** A version-1 message with a field out of its rule. */
function fieldProblem(value: Record<string, unknown>): string | undefined {
  const envelope = stripeEventEnvelopeProblem(value, isStripeCustomerEventType);
  if (envelope) return envelope;
  const customer = value.customer;
  if (!isRecord(customer)) return 'customer must be an object';
  if (!isExternalId(customer.id)) return `customer.id must be ${EXTERNAL_ID_RULE}`;
  if (typeof customer.deleted !== 'boolean') return 'customer.deleted must be a boolean';
  return metadataProblem(customer.metadata);
}

/** Parses and checks a consumed message body; a message that can never be valid throws `RejectedStripeCustomerEventError`. */
export function decodeStripeCustomerEvent(value: Buffer | null): StripeCustomerEventMessage {
  if (!value || value.length === 0) throw new RejectedStripeCustomerEventError('invalid_message', 'empty message body');
  let parsed: unknown;
  try {
    parsed = JSON.parse(value.toString('utf8'));
  } catch (error) {
    throw new RejectedStripeCustomerEventError('invalid_message', 'message body is not valid JSON', { cause: error });
  }
  const format = formatProblem(parsed);
  if (format) throw new RejectedStripeCustomerEventError('invalid_message', format);
  const field = fieldProblem(parsed as Record<string, unknown>);
  if (field) throw new RejectedStripeCustomerEventError('invalid_field', field);
  return parsed as StripeCustomerEventMessage;
}

/** Partition key: every event of one Stripe customer lands on one partition, in order. */
export function stripeCustomerEventKey(message: Pick<StripeCustomerEventMessage, 'tenant_id' | 'environment_id' | 'customer'>): string {
  return `${message.tenant_id}:${message.environment_id}:${message.customer.id}`;
}

/**
 * Builds the message for a verified Stripe customer event; undefined when the event is not a customer event
 * or its object is not a customer.
 */
export function stripeCustomerEventFromStripeEvent(
  scope: { tenantId: string; environmentId: string },
  event: StripeEventLike,
): StripeCustomerEventMessage | undefined {
  if (!isStripeCustomerEventType(event.type)) return undefined;
  const object = event.data.object;
  if (!isRecord(object) || !isExternalId(object.id)) return undefined;
  const metadata: Record<string, string> = {};
  if (isRecord(object.metadata)) {
    for (const [key, value] of Object.entries(object.metadata)) {
      if (typeof value === 'string') metadata[key] = value;
    }
  }
  const message: StripeCustomerEventMessage = {
    schema_version: STRIPE_CUSTOMER_EVENT_SCHEMA_VERSION,
    ...stripeEventEnvelope(scope, event, event.type),
    customer: { id: object.id, metadata, deleted: event.type === 'customer.deleted' || object.deleted === true },
  };
  return stripeCustomerEventProblem(message) ? undefined : message;
}

export function encodeStripeCustomerEvent(message: StripeCustomerEventMessage): OutgoingMessage {
  return {
    key: stripeCustomerEventKey(message),
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

/** A consumed message as the consumer sees it: key and headers as the producer wrote them, body undecoded. */
export interface StripeCustomerEventDelivery {
  key: string | null;
  headers: Record<string, string>;
  value: Buffer | null;
}

export interface StripeCustomerEventReadOptions {
  /** Current time (ms since epoch). */
  nowMs: number;
  /** How far ahead of `nowMs` a Stripe `created` may be (clock skew); later would outrank every real event. */
  maxFutureSkewSeconds: number;
}

/**
 * Decodes a delivery and checks that everything around the body tells the same story: the partition key and the
 * headers name the envelope's tenant, environment and customer (a producer that can write for tenant A cannot slip
 * in tenant B's event under A's key), and `created` is not in the future (a far-future event would make every
 * later real one look stale and freeze the mapping). Throws `RejectedStripeCustomerEventError` otherwise.
 */
export function readStripeCustomerEvent(
  delivery: StripeCustomerEventDelivery,
  options: StripeCustomerEventReadOptions,
): StripeCustomerEventMessage {
  const message = decodeStripeCustomerEvent(delivery.value);
  if (delivery.key !== stripeCustomerEventKey(message)) {
    throw new RejectedStripeCustomerEventError(
      'key_mismatch',
      "message key does not match the envelope's tenant_id:environment_id:customer.id",
    );
  }
  const expected = encodeStripeCustomerEvent(message).headers ?? {};
  for (const [name, value] of Object.entries(expected)) {
    if (delivery.headers[name] !== value) {
      throw new RejectedStripeCustomerEventError('header_mismatch', `header ${name} does not match the envelope`);
    }
  }
  if (message.stripe_created * 1000 > options.nowMs + options.maxFutureSkewSeconds * 1000) {
    throw new RejectedStripeCustomerEventError(
      'future_created',
      `stripe_created is more than ${options.maxFutureSkewSeconds} s in the future`,
    );
  }
  return message;
}
