import { PoisonMessageError } from '../errors';
import type { OutgoingMessage } from '../kafka-publisher';

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

const MAX_ID_LENGTH = 255;

export function isStripeCustomerEventType(type: string): type is StripeCustomerEventType {
  return (STRIPE_CUSTOMER_EVENT_TYPES as readonly string[]).includes(type);
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function isId(value: unknown): value is string {
  return typeof value === 'string' && value.length > 0 && value.length <= MAX_ID_LENGTH;
}

/** Why `value` is not a valid message, or undefined when it is. */
export function stripeCustomerEventProblem(value: unknown): string | undefined {
  if (!isRecord(value)) return 'message is not a JSON object';
  if (value.schema_version !== STRIPE_CUSTOMER_EVENT_SCHEMA_VERSION)
    return `unsupported schema_version ${JSON.stringify(value.schema_version)}`;
  for (const field of ['tenant_id', 'environment_id', 'stripe_event_id'] as const) {
    if (!isId(value[field])) return `${field} must be a non-empty string of at most ${MAX_ID_LENGTH} characters`;
  }
  if (typeof value.event_type !== 'string' || !isStripeCustomerEventType(value.event_type))
    return `unsupported event_type ${JSON.stringify(value.event_type)}`;
  if (typeof value.stripe_created !== 'number' || !Number.isSafeInteger(value.stripe_created) || value.stripe_created < 0)
    return 'stripe_created must be a unix timestamp';
  if (typeof value.livemode !== 'boolean') return 'livemode must be a boolean';
  const customer = value.customer;
  if (!isRecord(customer)) return 'customer must be an object';
  if (!isId(customer.id)) return `customer.id must be a non-empty string of at most ${MAX_ID_LENGTH} characters`;
  if (typeof customer.deleted !== 'boolean') return 'customer.deleted must be a boolean';
  if (!isRecord(customer.metadata) || !Object.values(customer.metadata).every((v) => typeof v === 'string')) {
    return 'customer.metadata must be an object of strings';
  }
  return undefined;
}

/** Parses and checks a consumed message body; a message that can never be valid throws `PoisonMessageError`. */
export function decodeStripeCustomerEvent(value: Buffer | null): StripeCustomerEventMessage {
  if (!value || value.length === 0) throw new PoisonMessageError('empty message body');
  let parsed: unknown;
  try {
    parsed = JSON.parse(value.toString('utf8'));
  } catch (error) {
    throw new PoisonMessageError('message body is not valid JSON', { cause: error });
  }
  const problem = stripeCustomerEventProblem(parsed);
  if (problem) throw new PoisonMessageError(problem);
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
  if (!isRecord(object) || !isId(object.id)) return undefined;
  const metadata: Record<string, string> = {};
  if (isRecord(object.metadata)) {
    for (const [key, value] of Object.entries(object.metadata)) {
      if (typeof value === 'string') metadata[key] = value;
    }
  }
  const message: StripeCustomerEventMessage = {
    schema_version: STRIPE_CUSTOMER_EVENT_SCHEMA_VERSION,
    tenant_id: scope.tenantId,
    environment_id: scope.environmentId,
    stripe_event_id: event.id,
    event_type: event.type,
    stripe_created: event.created,
    livemode: event.livemode ?? false,
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
