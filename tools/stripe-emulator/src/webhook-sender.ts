import { createHmac } from 'node:crypto';
import { stripeId } from './ids';

/** API version stamped on emulated events; matches the version stripe-node 23.1.0 targets. */
export const EMULATED_API_VERSION = '2026-10-28.endive';

export interface StripeEvent {
  id: string;
  object: 'event';
  account?: string;
  api_version: string;
  created: number;
  data: { object: Record<string, unknown>; previous_attributes?: Record<string, unknown> };
  livemode: false;
  pending_webhooks: number;
  request: { id: string | null; idempotency_key: string | null };
  type: string;
}

export interface StripeEventInput {
  type: string;
  object: Record<string, unknown>;
  previousAttributes?: Record<string, unknown>;
  id?: string;
  /** Unix seconds; defaults to now. */
  created?: number;
  apiVersion?: string;
  account?: string;
}

export interface StripeWebhookDelivery extends StripeEventInput {
  url: string;
  /** One secret, or several to sign with each (as Stripe does while a secret is being rolled). */
  secret?: string;
  secrets?: string[];
  /** Unix seconds put in the signature; defaults to now. Override to test the tolerance window. */
  signatureTimestamp?: number;
  /** Extra or replacement request headers. */
  headers?: Record<string, string>;
  timeoutMs?: number;
}

export interface StripeWebhookResult {
  status: number;
  body: string;
  event: StripeEvent;
  payload: string;
  signatureHeader: string;
}

export function buildStripeEvent(input: StripeEventInput): StripeEvent {
  return {
    id: input.id ?? stripeId('evt', 24),
    object: 'event',
    ...(input.account === undefined ? {} : { account: input.account }),
    api_version: input.apiVersion ?? EMULATED_API_VERSION,
    created: input.created ?? Math.floor(Date.now() / 1000),
    data: {
      object: input.object,
      ...(input.previousAttributes === undefined ? {} : { previous_attributes: input.previousAttributes }),
    },
    livemode: false,
    pending_webhooks: 1,
    request: { id: null, idempotency_key: null },
    type: input.type,
  };
}

/** A `customer` object as Stripe puts it in `customer.*` events. */
export function buildCustomerObject(fields: {
  id?: string;
  email?: string | null;
  name?: string | null;
  metadata?: Record<string, string>;
  created?: number;
}): Record<string, unknown> {
  return {
    id: fields.id ?? stripeId('cus', 14),
    object: 'customer',
    address: null,
    balance: 0,
    created: fields.created ?? Math.floor(Date.now() / 1000),
    currency: null,
    default_source: null,
    delinquent: false,
    description: null,
    email: fields.email ?? null,
    invoice_prefix: 'EMU00001',
    livemode: false,
    metadata: fields.metadata ?? {},
    name: fields.name ?? null,
    phone: null,
    preferred_locales: [],
    shipping: null,
    tax_exempt: 'none',
    test_clock: null,
  };
}

/**
 * Stripe's signature scheme: `t=<unix>,v1=<hex HMAC-SHA256 of "<t>.<payload>">`,
 * one `v1` entry per signing secret.
 */
export function signStripePayload(payload: string, secrets: readonly string[], timestamp: number): string {
  if (secrets.length === 0) {
    throw new Error('at least one signing secret is required');
  }
  const signatures = secrets.map(
    (secret) => `v1=${createHmac('sha256', secret).update(`${timestamp}.${payload}`, 'utf8').digest('hex')}`,
  );
  return [`t=${timestamp}`, ...signatures].join(',');
}

/** Builds, signs and POSTs one Stripe event, returning what the receiver answered. */
export async function sendStripeWebhook(delivery: StripeWebhookDelivery): Promise<StripeWebhookResult> {
  const secrets = delivery.secrets ?? (delivery.secret === undefined ? [] : [delivery.secret]);
  const event = buildStripeEvent(delivery);
  const payload = JSON.stringify(event, null, 2);
  const signatureHeader = signStripePayload(payload, secrets, delivery.signatureTimestamp ?? Math.floor(Date.now() / 1000));
  const response = await fetch(delivery.url, {
    method: 'POST',
    headers: {
      'Content-Type': 'application/json; charset=utf-8',
      'User-Agent': 'Stripe/1.0 (+https://stripe.com/docs/webhooks)',
      'Cache-Control': 'no-cache',
      'Stripe-Signature': signatureHeader,
      ...(delivery.headers ?? {}),
    },
    body: payload,
    signal: AbortSignal.timeout(delivery.timeoutMs ?? 10_000),
  });
  return { status: response.status, body: await response.text(), event, payload, signatureHeader };
}
