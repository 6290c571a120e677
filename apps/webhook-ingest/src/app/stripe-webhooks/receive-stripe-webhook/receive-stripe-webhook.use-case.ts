import { randomBytes } from 'node:crypto';
import { Inject, Injectable, Logger } from '@nestjs/common';
import { type StripeEventLike } from '@flexsync/kafka';
import { WebhookEventStore, type TenantScope } from '@flexsync/persistence';
import { DomainError, isFlexPriceId, malformedJsonError } from '@flexsync/runtime';
import { CustomerEventPublisher } from '../customer-event-publisher';
import { eventTypeLabel } from '../event-type-label';
import { InboxRecorder } from '../inbox-recorder';
import { OutboxRelayLoop } from '../relay-unpublished-webhooks/outbox-relay.loop';
import { SourceFailureBudget } from '../source-failure-budget';
import { verifyStripeSignature } from '../stripe-signature';
import { WebhookMetrics, type WebhookRejection } from '../webhook.metrics';
import { WebhookSigningSecrets, WebhookEndpoint } from '../webhook-signing-secrets';
import { WebhookIngestConfig } from '../../webhook-ingest.config';
import type { ReceiveStripeWebhookCommand, WebhookReceipt } from './receive-stripe-webhook.command';

/**
 * Verify → record once → answer; the outbox relay, woken by the new row, publishes it to Kafka in a batch with its
 * neighbours. A 2xx means the event is durable in the inbox (committed), so a Kafka outage costs only delay;
 * a 503 means it is not (Postgres is unavailable) and Stripe must retry.
 */
@Injectable()
export class ReceiveStripeWebhook {
  private readonly logger = new Logger(ReceiveStripeWebhook.name);

  constructor(
    @Inject(WebhookSigningSecrets) private readonly secrets: WebhookSigningSecrets,
    @Inject(WebhookEventStore) private readonly inbox: WebhookEventStore,
    @Inject(CustomerEventPublisher) private readonly publisher: CustomerEventPublisher,
    @Inject(InboxRecorder) private readonly recorder: InboxRecorder,
    @Inject(OutboxRelayLoop) private readonly relay: OutboxRelayLoop,
    @Inject(WebhookMetrics) private readonly metrics: WebhookMetrics,
    @Inject(WebhookIngestConfig) private readonly config: WebhookIngestConfig,
    @Inject(SourceFailureBudget) private readonly budget: SourceFailureBudget,
  ) {}

  /** Verifies deliveries to endpoints without a secret, so they cost what a known endpoint's failure costs. */
  private readonly decoySecret = `whsec_${randomBytes(24).toString('hex')}`;

  async execute(command: ReceiveStripeWebhookCommand): Promise<WebhookReceipt> {
    const { scope } = command;
    this.metrics.received.inc();
    if (!this.budget.allows(command.source)) {
      throw this.reject(scope, 'rate_limited', new DomainError('WEBHOOK.RATE_LIMITED', 'too many failed webhook deliveries; retry later'));
    }
    let verified: Verified;
    try {
      verified = await this.verify(command);
    } catch (error) {
      if (error instanceof DomainError && error.code === 'WEBHOOK.INVALID_SIGNATURE') this.budget.spend(command.source);
      throw error;
    }
    const { event, endpoint } = verified;
    if (
      endpoint.source === 'global' &&
      (await this.unavailableOnFailure(scope, () => this.inbox.recordedForAnotherScope(scope, event.id)))
    ) {
      // The global secret signs for every tenant without a secret of its own, so its signature cannot tell which path
      // an event was sent to: an event id already delivered to another tenant is a replay, never a new delivery.
      throw this.reject(scope, 'replayed_to_another_tenant', invalidSignature());
    }
    this.checkBoundToTenant(scope, event, endpoint);
    const eventType = eventTypeLabel(event.type);
    this.metrics.verified.inc({ event_type: eventType });

    if (!CustomerEventPublisher.routes(event.type)) {
      this.metrics.unhandled.inc({ event_type: eventType });
      this.logger.log(
        { tenant_id: scope.tenantId, environment_id: scope.environmentId, event_id: event.id, event_type: eventType },
        'webhook event type not handled',
      );
      return { received: true, event_id: event.id, outcome: 'ignored' };
    }
    if (!this.publisher.accepts(scope, event)) {
      throw this.reject(
        scope,
        'invalid_event',
        new DomainError('REQUEST.INVALID', 'the event does not carry the object its type names', [
          { field: 'data.object', reason: 'must be a customer (customer events) or a meter error report (meter events)' },
        ]),
      );
    }

    const inserted = await this.unavailableOnFailure(scope, () => this.recorder.record(scope, event, command.rawBody));
    if (!inserted) {
      this.metrics.duplicates.inc();
      return { received: true, event_id: event.id, outcome: 'duplicate' };
    }
    this.relay.wake();
    return { received: true, event_id: event.id, outcome: 'recorded' };
  }

  /**
   * A correctly signed event must also come from the tenant's own Stripe account and mode, as the connection test
   * recorded them: a secret shared or leaked across tenants, or a live endpoint pointed at a test tenant, is refused.
   */
  private checkBoundToTenant(scope: TenantScope, event: StripeEventLike, endpoint: WebhookEndpoint): void {
    if ((event.livemode ?? false) !== endpoint.livemode) {
      throw this.reject(
        scope,
        'livemode_mismatch',
        new DomainError('REQUEST.INVALID', "the event's mode does not match the tenant's Stripe config", [
          { field: 'livemode', reason: `must be ${endpoint.livemode} for this endpoint` },
        ]),
      );
    }
    const account = (event as { account?: unknown }).account;
    if (typeof account === 'string' && endpoint.stripeAccountId !== null && account !== endpoint.stripeAccountId) {
      throw this.reject(
        scope,
        'account_mismatch',
        new DomainError('REQUEST.INVALID', "the event's Stripe account does not match the tenant's Stripe config", [
          { field: 'account', reason: "must be the tenant's Stripe account" },
        ]),
      );
    }
  }

  /**
   * Unknown endpoints, impossible ids, missing secrets and bad signatures all get the same answer after the same work
   * (one lookup, served from the cache for repeats, and one HMAC check), so a caller cannot tell which tenants exist.
   */
  private async verify(command: ReceiveStripeWebhookCommand): Promise<Verified> {
    const { scope, signature, rawBody } = command;
    const possible = isFlexPriceId(scope.tenantId) && isFlexPriceId(scope.environmentId);
    const endpoint = possible ? await this.unavailableOnFailure(scope, () => this.secrets.resolve(scope)) : undefined;
    if (!signature) throw this.reject(scope, 'missing_signature', invalidSignature());
    if (!endpoint?.secret) {
      verifyStripeSignature(rawBody, signature, this.decoySecret, this.config.STRIPE_WEBHOOK_TOLERANCE_SECONDS);
      throw this.reject(scope, endpoint ? 'no_secret' : 'unknown_endpoint', invalidSignature());
    }

    const worthRereading = this.secrets.worthRereading(scope);
    let current = endpoint;
    let check = verifyStripeSignature(rawBody, signature, endpoint.secret, this.config.STRIPE_WEBHOOK_TOLERANCE_SECONDS);
    if (!check.ok && check.reason === 'invalid_signature' && worthRereading) {
      // The secret may have been rotated since it was cached: check once more against the stored one.
      const fresh = await this.unavailableOnFailure(scope, () => this.secrets.resolve(scope, { fresh: true }));
      if (!fresh) throw this.reject(scope, 'unknown_endpoint', invalidSignature());
      if (fresh.secret && fresh.secret !== endpoint.secret) {
        check = verifyStripeSignature(rawBody, signature, fresh.secret, this.config.STRIPE_WEBHOOK_TOLERANCE_SECONDS);
        current = fresh;
      }
    }
    if (!check.ok) {
      if (check.reason === 'malformed_json') {
        throw this.reject(scope, 'malformed_json', malformedJsonError());
      }
      if (check.reason === 'invalid_event') {
        throw this.reject(
          scope,
          'invalid_event',
          new DomainError('REQUEST.INVALID', 'the body is not a Stripe event', [{ field: 'body', reason: 'not a Stripe event' }]),
        );
      }
      throw this.reject(scope, check.reason, invalidSignature());
    }
    return { event: check.event, endpoint: current };
  }

  /** Database trouble is the service's fault and temporary: answer 503 so Stripe retries, never 500. */
  private async unavailableOnFailure<T>(scope: TenantScope, work: () => Promise<T>): Promise<T> {
    try {
      return await work();
    } catch (error) {
      if (error instanceof DomainError) throw error;
      this.logger.error(
        { tenant_id: scope.tenantId, environment_id: scope.environmentId, error: error instanceof Error ? error.message : String(error) },
        'webhook storage failed',
      );
      throw new DomainError('WEBHOOK.UNAVAILABLE', 'webhook endpoint temporarily unavailable', undefined, { cause: error });
    }
  }

  private reject(scope: TenantScope, reason: WebhookRejection, error: DomainError): DomainError {
    this.metrics.rejected.inc({ reason });
    const fields =
      isFlexPriceId(scope.tenantId) && isFlexPriceId(scope.environmentId)
        ? { tenant_id: scope.tenantId, environment_id: scope.environmentId }
        : {};
    this.logger.warn({ ...fields, reason }, 'webhook rejected');
    return error;
  }
}

interface Verified {
  event: StripeEventLike;
  endpoint: WebhookEndpoint;
}

function invalidSignature(): DomainError {
  return new DomainError('WEBHOOK.INVALID_SIGNATURE', 'the Stripe-Signature header does not verify for this payload');
}
