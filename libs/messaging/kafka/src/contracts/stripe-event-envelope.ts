import { EXTERNAL_ID_RULE, FLEXPRICE_ID_RULE, isExternalId, isFlexPriceId } from '@flexsync/runtime';

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
