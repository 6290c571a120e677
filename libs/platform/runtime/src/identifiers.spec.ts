import { EXTERNAL_ID_PATTERN, FLEXPRICE_ID_PATTERN, ID_RULES, isExternalId, isFlexPriceId, matchesIdRule } from './identifiers';

describe('FlexPrice ids', () => {
  it('accepts the ids tenants, environments and customers use', () => {
    for (const id of ['tenant_1', 'acme.eu', 'env:prod', 'client_123', 'a@b', '550e8400-e29b-41d4-a716-446655440000', 'x'.repeat(128)]) {
      expect(isFlexPriceId(id)).toBe(true);
    }
  });

  it('refuses empty, oversized, quoted, spaced or non-ASCII ids and non-strings', () => {
    for (const id of ['', 'x'.repeat(129), "a'b", 'a b', '-lead', '_lead', 'ü', 'a\nb', 42, null]) {
      expect(isFlexPriceId(id)).toBe(false);
    }
  });
});

describe('one id rule per kind', () => {
  it('gives tenants, environments, FlexPrice customers and meters the FlexPrice rule, Stripe ids the Stripe rule', () => {
    for (const kind of ['tenant', 'environment', 'flexprice_customer', 'flexprice_meter'] as const) {
      expect(ID_RULES[kind].pattern).toBe(FLEXPRICE_ID_PATTERN);
    }
    expect(ID_RULES.stripe.pattern).toBe(EXTERNAL_ID_PATTERN);
  });

  it('refuses cust#1 as a FlexPrice customer id and accepts it as a Stripe id', () => {
    expect(matchesIdRule('flexprice_customer', 'cust#1')).toBe(false);
    expect(matchesIdRule('stripe', 'cust#1')).toBe(true);
  });

  it('bounds Stripe ids at 255 visible ASCII characters', () => {
    expect(isExternalId('c'.repeat(255))).toBe(true);
    expect(isExternalId('c'.repeat(256))).toBe(false);
    expect(isExternalId('')).toBe(false);
    expect(isExternalId('cus 1')).toBe(false);
  });
});
