/** Stripe secret and restricted keys: `sk_test_…`, `sk_live_…`, `rk_test_…`, `rk_live_…`. */
export const STRIPE_API_KEY_PATTERN = /^(sk|rk)_(test|live)_[A-Za-z0-9]{4,240}$/;
/** Stripe webhook signing secrets: `whsec_…`. */
export const STRIPE_WEBHOOK_SECRET_PATTERN = /^whsec_[A-Za-z0-9+/=_-]{8,240}$/;
