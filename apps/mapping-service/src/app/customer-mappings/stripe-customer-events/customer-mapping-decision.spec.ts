import { FLEXPRICE_CUSTOMER_ID_SAMPLES } from '@flexsync/testing';
import {
  decideCustomerMapping,
  flexpriceCustomerFrom,
  resolveCustomerConflict,
  type CustomerEventFacts,
  type MappingDecision,
  type MappingSnapshot,
} from './customer-mapping-decision';

const KEY = 'flexprice_customer_id';

function event(overrides: Partial<CustomerEventFacts> = {}): CustomerEventFacts {
  return { eventId: 'evt_1', type: 'customer.created', created: 1000, flexprice: { customerId: 'client_1' }, ...overrides };
}

function row(overrides: Partial<MappingSnapshot> = {}): MappingSnapshot {
  return {
    customerId: 'client_1',
    status: 'mapped',
    source: 'webhook',
    lastEventCreated: 1000,
    lastEventId: 'evt_1',
    lastEventType: 'customer.created',
    ...overrides,
  };
}

type Write = Extract<MappingDecision, { kind: 'write' }>;

describe('flexpriceCustomerFrom', () => {
  it('reads the FlexPrice customer id from the configured metadata key, trimmed', () => {
    expect(flexpriceCustomerFrom({ [KEY]: '  client_9 ' }, KEY)).toEqual({ customerId: 'client_9' });
  });

  it.each(FLEXPRICE_CUSTOMER_ID_SAMPLES)(
    'takes metadata naming $id as a customer exactly when the FlexPrice id rule accepts it ($valid)',
    ({ id, valid }) => {
      expect('customerId' in flexpriceCustomerFrom({ [KEY]: id }, KEY)).toBe(valid);
    },
  );

  it.each([
    [{}, 'has no flexprice_customer_id metadata'],
    [{ [KEY]: '   ' }, 'is empty'],
    [{ [KEY]: 'has space' }, 'not a valid customer id'],
    [{ [KEY]: 'x'.repeat(256) }, 'not a valid customer id'],
  ])('explains why metadata %j names no customer', (metadata, reason) => {
    const result = flexpriceCustomerFrom(metadata, KEY);
    expect('missing' in result && result.missing).toContain(reason);
  });

  it('honours a non-default metadata key', () => {
    expect(flexpriceCustomerFrom({ fp_id: 'c1', [KEY]: 'other' }, 'fp_id')).toEqual({ customerId: 'c1' });
  });
});

describe('decideCustomerMapping', () => {
  it('maps a new Stripe customer whose metadata names a FlexPrice customer', () => {
    expect(decideCustomerMapping(undefined, event())).toEqual({
      kind: 'write',
      status: 'mapped',
      customerId: 'client_1',
      source: 'webhook',
      unmatchedReason: null,
    });
  });

  it('records a new Stripe customer without the metadata key as unmatched, with the reason', () => {
    const decision = decideCustomerMapping(
      undefined,
      event({ flexprice: { missing: 'the Stripe customer has no flexprice_customer_id metadata' } }),
    ) as Write;
    expect(decision).toMatchObject({ kind: 'write', status: 'unmatched', customerId: null });
    expect(decision.unmatchedReason).toContain('no flexprice_customer_id metadata');
  });

  it('skips a redelivery of the event applied last', () => {
    expect(decideCustomerMapping(row(), event())).toEqual({ kind: 'skip', reason: 'duplicate' });
  });

  it('skips an event older than the one applied last', () => {
    expect(
      decideCustomerMapping(
        row({ lastEventCreated: 2000, lastEventId: 'evt_2', lastEventType: 'customer.updated' }),
        event({ eventId: 'evt_1', created: 1000 }),
      ),
    ).toEqual({
      kind: 'skip',
      reason: 'stale',
    });
  });

  it('skips customer.created arriving after a customer.updated of the same second', () => {
    const updated = row({ lastEventId: 'evt_2', lastEventType: 'customer.updated', customerId: 'client_2' });
    expect(decideCustomerMapping(updated, event({ eventId: 'evt_1', type: 'customer.created', created: 1000 }))).toEqual({
      kind: 'skip',
      reason: 'stale',
    });
  });

  it('applies customer.updated after customer.created of the same second', () => {
    const decision = decideCustomerMapping(
      row(),
      event({ eventId: 'evt_2', type: 'customer.updated', flexprice: { customerId: 'client_2' } }),
    );
    expect(decision).toMatchObject({ kind: 'write', status: 'mapped', customerId: 'client_2' });
  });

  it('follows a customer.updated that changes the FlexPrice customer', () => {
    const decision = decideCustomerMapping(
      row(),
      event({ eventId: 'evt_2', type: 'customer.updated', created: 1500, flexprice: { customerId: 'client_7' } }),
    );
    expect(decision).toMatchObject({ kind: 'write', status: 'mapped', customerId: 'client_7', source: 'webhook' });
  });

  it('turns a webhook mapping unmatched when an update removes the metadata key', () => {
    const decision = decideCustomerMapping(
      row(),
      event({ eventId: 'evt_2', type: 'customer.updated', created: 1500, flexprice: { missing: 'gone' } }),
    );
    expect(decision).toMatchObject({ kind: 'write', status: 'unmatched', customerId: null, unmatchedReason: 'gone' });
  });

  it('keeps a manual mapping when an update carries no metadata key', () => {
    const manual = row({ source: 'manual', lastEventCreated: null, lastEventId: null, lastEventType: null });
    const decision = decideCustomerMapping(manual, event({ eventId: 'evt_2', type: 'customer.updated', flexprice: { missing: 'gone' } }));
    expect(decision).toMatchObject({ kind: 'write', status: 'mapped', customerId: 'client_1', source: 'manual' });
  });

  it('marks the mapping deleted on customer.deleted and keeps its FlexPrice customer for the record', () => {
    const decision = decideCustomerMapping(
      row(),
      event({ eventId: 'evt_3', type: 'customer.deleted', created: 3000, flexprice: { missing: 'x' } }),
    );
    expect(decision).toMatchObject({ kind: 'write', status: 'deleted', customerId: 'client_1' });
  });

  it('records a tombstone when customer.deleted arrives before any other event of the customer', () => {
    expect(decideCustomerMapping(undefined, event({ type: 'customer.deleted' }))).toMatchObject({
      kind: 'write',
      status: 'deleted',
      customerId: 'client_1',
    });
  });

  it('never revives a deleted Stripe customer, even with a newer-looking event', () => {
    const deleted = row({ status: 'deleted', lastEventId: 'evt_3', lastEventType: 'customer.deleted', lastEventCreated: 1000 });
    expect(decideCustomerMapping(deleted, event({ eventId: 'evt_4', type: 'customer.updated', created: 5000 }))).toEqual({
      kind: 'skip',
      reason: 'deleted',
    });
  });

  it('converges to the newest state whatever order created, updated and deleted arrive in', () => {
    const events: CustomerEventFacts[] = [
      event({ eventId: 'evt_c', type: 'customer.created', created: 100, flexprice: { customerId: 'a' } }),
      event({ eventId: 'evt_u', type: 'customer.updated', created: 100, flexprice: { customerId: 'b' } }),
      event({ eventId: 'evt_d', type: 'customer.deleted', created: 101, flexprice: { customerId: 'b' } }),
    ];
    const orders = [
      [0, 1, 2],
      [0, 2, 1],
      [1, 0, 2],
      [1, 2, 0],
      [2, 0, 1],
      [2, 1, 0],
    ];
    for (const order of orders) {
      let state: MappingSnapshot | undefined;
      for (const index of [...order, ...order]) {
        const incoming = events[index];
        const decision = decideCustomerMapping(state, incoming);
        if (decision.kind === 'write') {
          state = {
            customerId: decision.customerId,
            status: decision.status,
            source: decision.source,
            lastEventCreated: incoming.created,
            lastEventId: incoming.eventId,
            lastEventType: incoming.type,
          };
        }
      }
      expect(state).toMatchObject({ status: 'deleted', customerId: 'b', lastEventId: 'evt_d' });
    }
  });
});

describe('resolveCustomerConflict', () => {
  const mapped: Write = { kind: 'write', status: 'mapped', customerId: 'client_1', source: 'webhook', unmatchedReason: null };

  it('records the newcomer as unmatched when the FlexPrice customer is mapped to a live Stripe customer', () => {
    const { decision, releaseHolder } = resolveCustomerConflict(mapped, { providerCustomerId: 'cus_A', status: 'mapped' });
    expect(releaseHolder).toBe(false);
    expect(decision).toMatchObject({ status: 'unmatched', customerId: null });
    expect(decision.unmatchedReason).toBe('FlexPrice customer client_1 is already mapped to Stripe customer cus_A');
  });

  it('takes the FlexPrice customer over from a deleted Stripe customer', () => {
    expect(resolveCustomerConflict(mapped, { providerCustomerId: 'cus_A', status: 'deleted' })).toEqual({
      decision: mapped,
      releaseHolder: true,
    });
  });

  it('lets a deleted Stripe customer drop its FlexPrice customer rather than take it from another row', () => {
    const deleted: Write = { ...mapped, status: 'deleted' };
    expect(resolveCustomerConflict(deleted, { providerCustomerId: 'cus_A', status: 'mapped' })).toEqual({
      decision: { ...deleted, customerId: null },
      releaseHolder: false,
    });
  });
});
