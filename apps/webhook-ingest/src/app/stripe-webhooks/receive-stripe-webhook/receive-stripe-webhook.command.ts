import type { TenantScope } from '@flexsync/persistence';

export interface ReceiveStripeWebhookCommand {
  scope: TenantScope;
  /** The exact request bytes; the signature is computed over them. */
  rawBody: Buffer | undefined;
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
