import { PoisonMessageError } from '../errors';
import {
  decodeStripeCustomerEvent,
  encodeStripeCustomerEvent,
  stripeCustomerEventFromStripeEvent,
  type StripeCustomerEventMessage,
} from './stripe-customer-events';

const scope = { tenantId: 'tenant_a', environmentId: 'env_a' };

function stripeEvent(
  type: string,
  object: Record<string, unknown>,
): { id: string; type: string; created: number; livemode: boolean; data: { object: unknown } } {
  return { id: 'evt_1', type, created: 1_764_000_000, livemode: false, data: { object } };
}

describe('stripe customer event contract', () => {
  it('builds a message with only id, metadata and deleted from a customer.created event', () => {
    const message = stripeCustomerEventFromStripeEvent(
      scope,
      stripeEvent('customer.created', {
        id: 'cus_1',
        object: 'customer',
        email: 'a@b.c',
        name: 'Ann',
        metadata: { flexprice_customer_id: 'client_1', n: 5 },
      }),
    );
    expect(message).toEqual({
      schema_version: 1,
      tenant_id: 'tenant_a',
      environment_id: 'env_a',
      stripe_event_id: 'evt_1',
      event_type: 'customer.created',
      stripe_created: 1_764_000_000,
      livemode: false,
      customer: { id: 'cus_1', metadata: { flexprice_customer_id: 'client_1' }, deleted: false },
    });
  });

  it('marks customer.deleted messages as deleted', () => {
    expect(
      stripeCustomerEventFromStripeEvent(scope, stripeEvent('customer.deleted', { id: 'cus_1', metadata: {} }))?.customer.deleted,
    ).toBe(true);
  });

  it('builds nothing for other event types or objects without an id', () => {
    expect(stripeCustomerEventFromStripeEvent(scope, stripeEvent('invoice.paid', { id: 'in_1' }))).toBeUndefined();
    expect(stripeCustomerEventFromStripeEvent(scope, stripeEvent('customer.created', { object: 'customer' }))).toBeUndefined();
  });

  it('keys messages by tenant:environment:customer and round-trips through encode/decode', () => {
    const message = stripeCustomerEventFromStripeEvent(
      scope,
      stripeEvent('customer.updated', { id: 'cus_9', metadata: {} }),
    ) as StripeCustomerEventMessage;
    const encoded = encodeStripeCustomerEvent(message);
    expect(encoded.key).toBe('tenant_a:env_a:cus_9');
    expect(encoded.headers).toMatchObject({ 'event-type': 'customer.updated', 'tenant-id': 'tenant_a', 'environment-id': 'env_a' });
    expect(decodeStripeCustomerEvent(Buffer.from(encoded.value))).toEqual(message);
  });

  it.each([
    ['an empty body', null, 'empty message body'],
    ['bytes that are not JSON', Buffer.from('{nope'), 'not valid JSON'],
    ['a JSON array', Buffer.from('[]'), 'not a JSON object'],
    ['an unknown schema version', Buffer.from(JSON.stringify({ schema_version: 2 })), 'unsupported schema_version 2'],
  ])('rejects %s as a poison message', (_label, value, reason) => {
    expect(() => decodeStripeCustomerEvent(value)).toThrow(PoisonMessageError);
    expect(() => decodeStripeCustomerEvent(value)).toThrow(reason);
  });

  it('names the first invalid field of a malformed message', () => {
    const message = stripeCustomerEventFromStripeEvent(
      scope,
      stripeEvent('customer.updated', { id: 'cus_9', metadata: {} }),
    ) as StripeCustomerEventMessage;
    const broken = { ...message, customer: { ...message.customer, metadata: { a: 1 } } };
    expect(() => decodeStripeCustomerEvent(Buffer.from(JSON.stringify(broken)))).toThrow('customer.metadata must be an object of strings');
    expect(() => decodeStripeCustomerEvent(Buffer.from(JSON.stringify({ ...message, event_type: 'customer.source.created' })))).toThrow(
      'unsupported event_type',
    );
  });
});
