import { createHash } from 'node:crypto';
import { IDENTIFIER_PREFIX, ledgerPayloadHash, MAX_IDENTIFIER_LENGTH, PushIdentity, pushIdentifier } from './identity';

const base: PushIdentity = {
  tenantId: 'tenant_1',
  environmentId: 'env_1',
  customerId: 'client_123',
  meterId: 'meter_storage',
  eventType: 'increment',
  windowStart: new Date('2026-11-20T04:00:00Z'),
  windowEnd: new Date('2026-11-20T05:00:00Z'),
  revision: 0,
};

describe('push identity', () => {
  it("is flexprice_ + sha256 of tenant|env|customer|meter|event_type|window_start|window_end, within Stripe's 100 characters", () => {
    const identifier = pushIdentifier(base);
    const text = 'tenant_1|env_1|client_123|meter_storage|increment|2026-11-20T04:00:00.000Z|2026-11-20T05:00:00.000Z';
    expect(identifier).toBe(`flexprice_${createHash('sha256').update(text).digest('hex')}`);
    expect(identifier.startsWith(IDENTIFIER_PREFIX)).toBe(true);
    expect(identifier).toHaveLength(74);
    expect(identifier.length).toBeLessThanOrEqual(MAX_IDENTIFIER_LENGTH);
  });

  it('is the same on every run, so a re-run re-sends the same identity', () => {
    expect(pushIdentifier({ ...base, windowStart: new Date(base.windowStart.getTime()) })).toBe(pushIdentifier(base));
  });

  it('appends the revision for corrections only, giving each correction its own identity', () => {
    const identities = [0, 1, 2].map((revision) => pushIdentifier({ ...base, revision }));
    expect(new Set(identities).size).toBe(3);
    expect(() => pushIdentifier({ ...base, revision: -1 })).toThrow(RangeError);
  });

  it('differs whenever any part differs, and cannot be forged by moving a separator between parts', () => {
    const variants: Partial<PushIdentity>[] = [
      { tenantId: 'tenant_2' },
      { environmentId: 'env_2' },
      { customerId: 'client_124' },
      { meterId: 'meter_api' },
      { eventType: 'set' },
      { windowStart: new Date('2026-11-20T03:00:00Z') },
      { windowEnd: new Date('2026-11-20T06:00:00Z') },
    ];
    const identities = new Set([base, ...variants.map((variant) => ({ ...base, ...variant }))].map(pushIdentifier));
    expect(identities.size).toBe(variants.length + 1);
    expect(pushIdentifier({ ...base, customerId: 'a|b', meterId: 'c' })).not.toBe(
      pushIdentifier({ ...base, customerId: 'a', meterId: 'b|c' }),
    );
  });
});

describe('ledger payload hash', () => {
  const payload = {
    identifier: pushIdentifier(base),
    aggregatedQuantity: '42.5',
    eventCount: '3',
    eventName: 'meter.storage',
    stripeCustomerId: 'cus_123',
    value: '425',
    valuePrecision: 1,
    timestamp: 1_795_662_799,
  };

  it('does not depend on how the database spells a number', () => {
    expect(ledgerPayloadHash({ ...payload, aggregatedQuantity: '42.500000000000', eventCount: '03' })).toBe(ledgerPayloadHash(payload));
  });

  it('changes with every field of the meter event', () => {
    const changes = [
      { value: '426' },
      { eventName: 'meter.api' },
      { stripeCustomerId: 'cus_124' },
      { timestamp: 1_795_662_798 },
      { valuePrecision: 2 },
      { aggregatedQuantity: '42.6' },
    ];
    const hashes = new Set([payload, ...changes.map((change) => ({ ...payload, ...change }))].map(ledgerPayloadHash));
    expect(hashes.size).toBe(changes.length + 1);
    expect(ledgerPayloadHash(payload)).toMatch(/^[0-9a-f]{64}$/);
  });
});
