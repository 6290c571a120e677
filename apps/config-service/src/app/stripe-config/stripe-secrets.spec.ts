import { STRIPE_API_KEY_PATTERN, STRIPE_WEBHOOK_SECRET_PATTERN } from './stripe-secrets';

describe('Stripe secret shapes', () => {
  it.each(['sk_test_1234', 'sk_live_51AbC', 'rk_test_abcd', 'rk_live_ABCD1234'])('accept the API key shape %s', (key) => {
    expect(STRIPE_API_KEY_PATTERN.test(key)).toBe(true);
  });

  it.each([
    'pk_test_1234',
    'sk_prod_1234',
    'sk_test_',
    'sk_test_12',
    'sk_test_12 34',
    'sk_test_abcd\n',
    ' sk_test_1234',
    'whsec_1234',
    'sk_test_…wxyz',
  ])('refuse the API key shape %p', (key) => {
    expect(STRIPE_API_KEY_PATTERN.test(key)).toBe(false);
  });

  it.each(['whsec_abcdefgh', 'whsec_0123456789abcdefABCDEF+/='])('accept the webhook secret shape %s', (secret) => {
    expect(STRIPE_WEBHOOK_SECRET_PATTERN.test(secret)).toBe(true);
  });

  it.each(['whsec_', 'whsec_short', 'sk_test_abcdefgh', 'whsec_abc def gh'])('refuse the webhook secret shape %p', (secret) => {
    expect(STRIPE_WEBHOOK_SECRET_PATTERN.test(secret)).toBe(false);
  });
});
