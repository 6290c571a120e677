import { createHash } from 'node:crypto';
import { normalizeDecimal } from './decimal';

export const IDENTIFIER_PREFIX = 'flexprice_';
/** Stripe's limit for a meter event identifier. */
export const MAX_IDENTIFIER_LENGTH = 100;

/** One (customer, meter, event_type) total of one window, at one revision. */
export interface PushIdentity {
  tenantId: string;
  environmentId: string;
  customerId: string;
  meterId: string;
  eventType: string;
  windowStart: Date;
  windowEnd: Date;
  /** 0 for the window's first push; 1, 2, … for corrections. */
  revision: number;
}

function sha256(text: string): string {
  return createHash('sha256').update(text, 'utf8').digest('hex');
}

/**
 * `|` separates the parts; ids that themselves contain `|` or `\` get them escaped, so two different tuples can
 * never hash the same text. Ordinary ids (every id FlexPrice issues) are hashed exactly as written.
 */
function part(value: string): string {
  return value.replace(/[\\|]/g, (ch) => `\\${ch}`);
}

/**
 * `flexprice_` + sha256(tenant|env|customer|meter|event_type|window_start|window_end[|revision]) — 74 characters.
 * The revision is appended only for corrections, so a window's first push keeps the plain identity. Sent as the
 * meter event `identifier` and as the `Idempotency-Key`: re-running a window re-sends the same identity.
 */
export function pushIdentifier(identity: PushIdentity): string {
  if (!Number.isInteger(identity.revision) || identity.revision < 0) throw new RangeError('revision must be a whole number >= 0');
  const parts = [
    identity.tenantId,
    identity.environmentId,
    identity.customerId,
    identity.meterId,
    identity.eventType,
    identity.windowStart.toISOString(),
    identity.windowEnd.toISOString(),
  ].map(part);
  if (identity.revision > 0) parts.push(String(identity.revision));
  return `${IDENTIFIER_PREFIX}${sha256(parts.join('|'))}`;
}

/** Everything a ledger row says about one push. The Stripe fields stay null until the row is valued. */
export interface LedgerPayload {
  identifier: string;
  aggregatedQuantity: string;
  eventCount: string;
  eventName: string | null;
  stripeCustomerId: string | null;
  value: string | null;
  valuePrecision: number | null;
  /** Unix seconds. */
  timestamp: number | null;
}

/**
 * sha256 over the row's canonical payload. Once the row is valued this covers exactly the meter event sent to
 * Stripe; each resend re-checks it, so a frozen push can never go out with a different body.
 */
export function ledgerPayloadHash(payload: LedgerPayload): string {
  return sha256(
    JSON.stringify([
      'v1',
      payload.identifier,
      normalizeDecimal(payload.aggregatedQuantity),
      BigInt(payload.eventCount).toString(),
      payload.eventName,
      payload.stripeCustomerId,
      payload.value,
      payload.valuePrecision,
      payload.timestamp,
    ]),
  );
}
