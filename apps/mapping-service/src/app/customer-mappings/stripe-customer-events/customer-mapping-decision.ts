import type { StripeCustomerEventType } from '@flexsync/kafka';
import type { CustomerMappingStatus } from '@flexsync/persistence';
import { ID_RULES, matchesIdRule } from '@flexsync/runtime';

export interface MappingSnapshot {
  customerId: string | null;
  status: CustomerMappingStatus;
  source: 'manual' | 'webhook';
  lastEventCreated: number | null;
  lastEventId: string | null;
  lastEventType: StripeCustomerEventType | null;
}

export interface CustomerEventFacts {
  eventId: string;
  type: StripeCustomerEventType;
  created: number;
  /** The FlexPrice customer the Stripe customer's metadata names, or why it names none. */
  flexprice: { customerId: string } | { missing: string };
}

export type SkipReason = 'duplicate' | 'stale' | 'deleted';

export type MappingDecision =
  | { kind: 'skip'; reason: SkipReason }
  | {
      kind: 'write';
      status: CustomerMappingStatus;
      customerId: string | null;
      source: 'manual' | 'webhook';
      unmatchedReason: string | null;
    };

/** Within one second (Stripe's `created` resolution) a customer is created, then updated, then deleted. */
const LIFECYCLE_RANK: Record<StripeCustomerEventType, number> = { 'customer.created': 0, 'customer.updated': 1, 'customer.deleted': 2 };

/** Reads the FlexPrice customer id from Stripe customer metadata under `key`. */
export function flexpriceCustomerFrom(metadata: Record<string, string>, key: string): CustomerEventFacts['flexprice'] {
  const raw = metadata[key];
  if (raw === undefined) return { missing: `the Stripe customer has no ${key} metadata` };
  const value = raw.trim();
  if (value.length === 0) return { missing: `the Stripe customer's ${key} metadata is empty` };
  if (!matchesIdRule('flexprice_customer', value)) {
    return { missing: `the Stripe customer's ${key} metadata is not a valid customer id (${ID_RULES.flexprice_customer.description})` };
  }
  return { customerId: value };
}

/**
 * How one Stripe customer event changes the mapping of its Stripe customer, given the row as it is.
 * Redeliveries are no-ops, older events never overwrite newer state, and a deleted Stripe customer stays deleted
 * (Stripe never revives one), so any delivery order converges to the state of the newest event.
 */
export function decideCustomerMapping(existing: MappingSnapshot | undefined, event: CustomerEventFacts): MappingDecision {
  if (existing) {
    if (existing.lastEventId === event.eventId) return { kind: 'skip', reason: 'duplicate' };
    if (existing.status === 'deleted' && event.type !== 'customer.deleted') return { kind: 'skip', reason: 'deleted' };
    if (existing.lastEventCreated !== null) {
      if (event.created < existing.lastEventCreated) return { kind: 'skip', reason: 'stale' };
      if (
        event.created === existing.lastEventCreated &&
        existing.lastEventType &&
        LIFECYCLE_RANK[event.type] < LIFECYCLE_RANK[existing.lastEventType]
      ) {
        return { kind: 'skip', reason: 'stale' };
      }
    }
  }

  const named = 'customerId' in event.flexprice ? event.flexprice.customerId : null;
  if (event.type === 'customer.deleted') {
    // The deleted customer's last state names whom it belonged to; keep that for the record.
    return {
      kind: 'write',
      status: 'deleted',
      customerId: named ?? existing?.customerId ?? null,
      source: existing?.source ?? 'webhook',
      unmatchedReason: null,
    };
  }
  if (named !== null) {
    return { kind: 'write', status: 'mapped', customerId: named, source: 'webhook', unmatchedReason: null };
  }
  if (existing && existing.source === 'manual' && existing.status === 'mapped' && existing.customerId !== null) {
    // An admin mapped this Stripe customer by hand; metadata that never named anyone does not undo that.
    return { kind: 'write', status: 'mapped', customerId: existing.customerId, source: 'manual', unmatchedReason: null };
  }
  return {
    kind: 'write',
    status: 'unmatched',
    customerId: null,
    source: 'webhook',
    unmatchedReason: 'missing' in event.flexprice ? event.flexprice.missing : null,
  };
}

/** Another Stripe customer's row that already holds the FlexPrice customer a write wants. */
export interface CustomerHolder {
  providerCustomerId: string;
  status: CustomerMappingStatus;
}

/**
 * One FlexPrice customer maps to at most one Stripe customer. A deleted Stripe customer gives its FlexPrice customer
 * up to a live one; a live mapping is never taken over by another Stripe customer, which is recorded as unmatched.
 */
export function resolveCustomerConflict(
  decision: Extract<MappingDecision, { kind: 'write' }>,
  holder: CustomerHolder,
): { decision: Extract<MappingDecision, { kind: 'write' }>; releaseHolder: boolean } {
  if (decision.status === 'deleted') return { decision: { ...decision, customerId: null }, releaseHolder: false };
  if (holder.status === 'deleted') return { decision, releaseHolder: true };
  return {
    decision: {
      ...decision,
      status: 'unmatched',
      customerId: null,
      unmatchedReason: `FlexPrice customer ${decision.customerId ?? ''} is already mapped to Stripe customer ${holder.providerCustomerId}`,
    },
    releaseHolder: false,
  };
}
