import { maskApiKey, scrubSecrets, STRIPE_API_KEY_PATTERN } from './stripe-secrets';

describe('Stripe secret helpers', () => {
  it('masks a key to its mode prefix and last four characters', () => {
    expect(maskApiKey('sk_test_51AbCdEfGhwxyz')).toBe('sk_test_…wxyz');
    expect(maskApiKey('rk_live_0000111122223333')).toBe('rk_live_…3333');
  });

  it.each(['sk_test_1234', 'sk_live_51AbC', 'rk_test_abcd', 'rk_live_ABCD1234'])('accepts the key shape %s', (key) => {
    expect(STRIPE_API_KEY_PATTERN.test(key)).toBe(true);
  });

  it.each(['pk_test_1234', 'sk_prod_1234', 'sk_test_', 'sk_test_12', 'sk_test_12 34', 'sk_test_abcd\n', ' sk_test_1234', 'whsec_1234'])(
    'rejects the key shape %p',
    (key) => {
      expect(STRIPE_API_KEY_PATTERN.test(key)).toBe(false);
    },
  );

  it('scrubs keys and webhook secrets out of text from Stripe', () => {
    const text = "Invalid API Key provided: sk_test_51AbCdEf; Authorization was 'Bearer rk_live_XyZ123' whsec_abc+/= and pk_test_q1";
    const scrubbed = scrubSecrets(text);
    expect(scrubbed).not.toMatch(/51AbCdEf|XyZ123|abc\+\/=|q1/);
    expect(scrubbed).toContain('sk_test_…');
  });
});
