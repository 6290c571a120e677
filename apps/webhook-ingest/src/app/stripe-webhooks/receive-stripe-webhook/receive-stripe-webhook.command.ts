import type { TenantScope } from '@flexsync/persistence';

export interface ReceiveStripeWebhookCommand {
  scope: TenantScope;
  /** The exact request body as text (UTF-8, as Stripe signs it); the signature is computed over it. */
  rawBody: string;
  signature: string | undefined;
  /** The caller's address, for the per-source budget of failed deliveries. */
  source: string;
}

/** `recorded`: new, durable in the inbox, to be published by the outbox relay; `duplicate`: already in the inbox. */
export type WebhookOutcome = 'recorded' | 'duplicate' | 'ignored';

/** What Stripe gets back on success; no tenant details. */
export interface WebhookReceipt {
  received: true;
  event_id: string;
  outcome: WebhookOutcome;
}
