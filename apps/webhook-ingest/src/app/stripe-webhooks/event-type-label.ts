import { isStripeCustomerEventType } from '@flexsync/kafka';

/**
 * Event types that may appear as a metric label: the ones handled plus the common ones a tenant's endpoint is likely
 * to be subscribed to. `event.type` is chosen by whoever holds the signing secret, so anything else is `other` — a
 * label from the request would let a sender grow the metric series without bound.
 */
const LABELLED_EVENT_TYPES: ReadonlySet<string> = new Set([
  'customer.subscription.created',
  'customer.subscription.updated',
  'customer.subscription.deleted',
  'invoice.created',
  'invoice.finalized',
  'invoice.paid',
  'invoice.payment_failed',
  'invoice.upcoming',
  'billing.meter.error_report_triggered',
  'billing.meter.no_meter_found',
  'payment_intent.succeeded',
  'payment_intent.payment_failed',
  'charge.succeeded',
  'charge.failed',
]);

export function eventTypeLabel(type: string): string {
  return isStripeCustomerEventType(type) || LABELLED_EVENT_TYPES.has(type) ? type : 'other';
}
