import { PoisonMessageError } from '../errors';
import {
  decodeStripeCustomerEvent,
  encodeStripeCustomerEvent,
  readStripeCustomerEvent,
  RejectedStripeCustomerEventError,
  stripeCustomerEventFromStripeEvent,
  type StripeCustomerEventDelivery,
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

  describe('readStripeCustomerEvent', () => {
    const now = 1_764_000_000_000;
    const options = { nowMs: now, maxFutureSkewSeconds: 300 };
    const message = stripeCustomerEventFromStripeEvent(
      scope,
      stripeEvent('customer.updated', { id: 'cus_9', metadata: { flexprice_customer_id: 'client_9' } }),
    ) as StripeCustomerEventMessage;
    const delivered = (overrides: Partial<StripeCustomerEventMessage> = {}) => {
      const encoded = encodeStripeCustomerEvent({ ...message, ...overrides });
      return { key: encoded.key, headers: encoded.headers ?? {}, value: Buffer.from(encoded.value) };
    };
    function rejection(delivery: StripeCustomerEventDelivery): { rejection: string; reason: string } {
      try {
        readStripeCustomerEvent(delivery, options);
      } catch (error) {
        if (error instanceof RejectedStripeCustomerEventError) return { rejection: error.rejection, reason: error.reason };
        throw error;
      }
      throw new Error('expected a rejection');
    }

    it('accepts a delivery whose key and headers name the envelope and whose created is within the skew', () => {
      expect(readStripeCustomerEvent(delivered({ stripe_created: now / 1000 + 300 }), options).customer.id).toBe('cus_9');
    });

    it('rejects a key naming another tenant, environment or customer', () => {
      for (const key of ['tenant_b:env_a:cus_9', 'tenant_a:env_b:cus_9', 'tenant_a:env_a:cus_8', null]) {
        expect(rejection({ ...delivered(), key })).toMatchObject({ rejection: 'key_mismatch' });
      }
    });

    it('rejects missing or mismatching headers', () => {
      const { headers, ...rest } = delivered();
      expect(rejection({ ...rest, headers: { ...headers, 'environment-id': 'env_b' } })).toEqual({
        rejection: 'header_mismatch',
        reason: 'header environment-id does not match the envelope',
      });
      const { 'tenant-id': _dropped, ...withoutTenant } = headers;
      expect(rejection({ ...rest, headers: withoutTenant })).toMatchObject({ rejection: 'header_mismatch' });
    });

    it('rejects a created timestamp beyond the skew', () => {
      expect(rejection(delivered({ stripe_created: now / 1000 + 301 }))).toEqual({
        rejection: 'future_created',
        reason: 'stripe_created is more than 300 s in the future',
      });
    });

    it('rejects ids outside the API rules and oversized metadata as invalid fields', () => {
      expect(rejection(delivered({ tenant_id: 'a b' }))).toMatchObject({
        rejection: 'invalid_field',
        reason: expect.stringMatching(/^tenant_id must be/),
      });
      expect(rejection(delivered({ environment_id: '_env' }))).toMatchObject({ rejection: 'invalid_field' });
      expect(rejection(delivered({ stripe_event_id: 'evt\u00e9' }))).toMatchObject({ rejection: 'invalid_field' });
      expect(rejection(delivered({ customer: { ...message.customer, metadata: { k: 'v'.repeat(501) } } }))).toMatchObject({
        rejection: 'invalid_field',
      });
      expect(rejection({ ...delivered(), value: Buffer.from('[]') })).toMatchObject({ rejection: 'invalid_message' });
    });
  });
});
