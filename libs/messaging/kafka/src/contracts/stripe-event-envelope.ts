import { EXTERNAL_ID_RULE, FLEXPRICE_ID_RULE, isExternalId, isFlexPriceId } from '@flexsync/runtime';
import type { StripeEventLike } from './stripe-customer-events';

/** The fields every message made from a Stripe event carries, whatever its topic. */
export interface StripeEventEnvelope<T extends string> {
  tenant_id: string;
  environment_id: string;
  stripe_event_id: string;
  event_type: T;
  stripe_created: number;
  livemode: boolean;
}

/** The envelope of the message for a verified Stripe event of type `eventType`, received for `scope`. */
export function stripeEventEnvelope<T extends string>(
  scope: { tenantId: string; environmentId: string },
  event: StripeEventLike,
  eventType: T,
): StripeEventEnvelope<T> {
  return {
    tenant_id: scope.tenantId,
    environment_id: scope.environmentId,
    stripe_event_id: event.id,
    event_type: eventType,
    stripe_created: event.created,
    livemode: event.livemode ?? false,
  };
}

/**
 * Why the fields every message made from a Stripe event carries (tenant, environment, Stripe event id, type, created,
 * livemode) break their rules, or undefined when they keep them. `isEventType` says which types the topic carries.
 */
export function stripeEventEnvelopeProblem(value: Record<string, unknown>, isEventType: (type: string) => boolean): string | undefined {
  for (const field of ['tenant_id', 'environment_id'] as const) {
    if (!isFlexPriceId(value[field])) return `${field} must be ${FLEXPRICE_ID_RULE}`;
  }
  if (!isExternalId(value.stripe_event_id)) return `stripe_event_id must be ${EXTERNAL_ID_RULE}`;
  if (typeof value.event_type !== 'string' || !isEventType(value.event_type)) return `unsupported event_type ${JSON.stringify(value.event_type)}`;
  if (typeof value.stripe_created !== 'number' || !Number.isSafeInteger(value.stripe_created) || value.stripe_created < 0)
    return 'stripe_created must be a unix timestamp';
  if (typeof value.livemode !== 'boolean') return 'livemode must be a boolean';
  return undefined;
}
