import Stripe from 'stripe';
import type { StripeEventLike } from '@flexsync/kafka';
import { isRecord } from '@flexsync/runtime';
import type { WebhookRejection } from './webhook.metrics';

export type SignatureCheck =
  | { ok: true; event: StripeEventLike }
  | { ok: false; reason: Extract<WebhookRejection, 'invalid_signature' | 'stale_timestamp' | 'malformed_json' | 'invalid_event'> };

const signature = Stripe.webhooks.signature;

/** The fields every Stripe event has; anything else is not an event, even if signed. */
function asStripeEvent(value: unknown): StripeEventLike | undefined {
  if (!isRecord(value)) return undefined;
  const { id, type, created, livemode, data, account } = value;
  if (typeof id !== 'string' || id.length === 0 || id.length > 255) return undefined;
  if (typeof type !== 'string' || type.length === 0 || type.length > 255) return undefined;
  if (typeof created !== 'number' || !Number.isSafeInteger(created) || created < 0) return undefined;
  if (livemode !== undefined && typeof livemode !== 'boolean') return undefined;
  if (account !== undefined && account !== null && (typeof account !== 'string' || account.length > 255)) return undefined;
  if (!isRecord(data) || !('object' in data)) return undefined;
  // Keep every field: the inbox stores the whole event.
  const event: StripeEventLike & Record<string, unknown> = {
    ...value,
    id,
    type,
    created,
    livemode,
    data: { ...data, object: data.object },
  };
  return event;
}

/**
 * Verifies `Stripe-Signature` over the exact request text with stripe-node: any matching `v1` signature passes
 * (Stripe signs with both secrets while one is being rolled), and the timestamp must be within `toleranceSeconds`.
 * The text is parsed once, only after its signature verified, so an unsigned body costs one HMAC and no parse.
 */
export function verifyStripeSignature(payload: string, header: string, secret: string, toleranceSeconds: number): SignatureCheck {
  if (!signature) throw new Error('stripe-node has no webhook signature verifier');
  try {
    signature.verifyHeader(payload, header, secret, toleranceSeconds);
  } catch (error) {
    const stale = error instanceof Stripe.errors.StripeSignatureVerificationError && /tolerance/i.test(error.message);
    // Anything else stripe-node refuses (a header it cannot read at all) is a signature that does not verify, never a 500.
    return { ok: false, reason: stale ? 'stale_timestamp' : 'invalid_signature' };
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(payload);
  } catch {
    return { ok: false, reason: 'malformed_json' };
  }
  const event = asStripeEvent(parsed);
  return event ? { ok: true, event } : { ok: false, reason: 'invalid_event' };
}
