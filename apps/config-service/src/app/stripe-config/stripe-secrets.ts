/** Stripe secret and restricted keys: `sk_test_…`, `sk_live_…`, `rk_test_…`, `rk_live_…`. */
export const STRIPE_API_KEY_PATTERN = /^(sk|rk)_(test|live)_[A-Za-z0-9]{4,240}$/;
/** Stripe webhook signing secrets: `whsec_…`. */
export const STRIPE_WEBHOOK_SECRET_PATTERN = /^whsec_[A-Za-z0-9+/=_-]{8,240}$/;

const SECRET_LIKE = /\b((?:sk|rk|pk)_(?:test|live)_|whsec_)[A-Za-z0-9+/=_-]+/g;

/** `sk_test_…wxyz`: the mode prefix and the last four characters, never enough to use the key. */
export function maskApiKey(apiKey: string): string {
  const prefix = /^(sk|rk)_(test|live)_/.exec(apiKey)?.[0] ?? '';
  return `${prefix}…${apiKey.slice(-4)}`;
}

/** Replaces anything that looks like a Stripe secret in text that came from outside (e.g. Stripe's error messages). */
export function scrubSecrets(text: string): string {
  return text.replace(SECRET_LIKE, (_match, prefix: string) => `${prefix}…`);
}
