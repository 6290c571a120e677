import { isFlexPriceId } from './identifiers';

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
