import { Inject, Injectable, Logger } from '@nestjs/common';
import { isStripeCustomerEventType, type StripeEventLike } from '@flexsync/kafka';
import type { TenantScope } from '@flexsync/persistence';
import { DomainError, isFlexPriceId } from '@flexsync/runtime';
import { CustomerEventPublisher } from '../customer-event-publisher';
import { verifyStripeSignature } from '../stripe-signature';
import { WebhookInbox } from '../webhook-inbox';
import { WebhookMetrics, type WebhookRejection } from '../webhook.metrics';
import { WebhookSigningSecrets, WebhookEndpoint } from '../webhook-signing-secrets';
import { WebhookIngestConfig } from '../../webhook-ingest.config';
import type { ReceiveStripeWebhookCommand, WebhookReceipt } from './receive-stripe-webhook.command';

// Ids are path segments Stripe echoes back; anything else cannot name an endpoint.

/**
 * Verify → record once → publish. A 2xx means the event is in the inbox and on Kafka (or was already);
 * a 503 means Stripe must retry (the inbox keeps the event and the relay publishes it meanwhile).
 */
@Injectable()
export class ReceiveStripeWebhook {
  private readonly logger = new Logger(ReceiveStripeWebhook.name);

  constructor(
    @Inject(WebhookSigningSecrets) private readonly secrets: WebhookSigningSecrets,
    @Inject(WebhookInbox) private readonly inbox: WebhookInbox,
    @Inject(CustomerEventPublisher) private readonly publisher: CustomerEventPublisher,
    @Inject(WebhookMetrics) private readonly metrics: WebhookMetrics,
    @Inject(WebhookIngestConfig) private readonly config: WebhookIngestConfig,
  ) {}

  async execute(command: ReceiveStripeWebhookCommand): Promise<WebhookReceipt> {
    const { scope } = command;
    this.metrics.received.inc();
    const { event, source } = await this.verify(command);
    if (source === 'global' && (await this.unavailableOnFailure(scope, () => this.inbox.recordedForAnotherScope(scope, event.id)))) {
      // The global secret signs for every tenant without a secret of its own, so its signature cannot tell which path
      // an event was sent to: an event id already delivered to another tenant is a replay, never a new delivery.
      throw this.reject(scope, 'replayed_to_another_tenant', invalidSignature());
    }
    this.metrics.verified.inc({ event_type: event.type });

    if (!isStripeCustomerEventType(event.type)) {
      this.metrics.unhandled.inc({ event_type: event.type });
      this.logger.log(
        { tenant_id: scope.tenantId, environment_id: scope.environmentId, event_id: event.id, event_type: event.type },
        'webhook event type not handled',
      );
      return { received: true, event_id: event.id, outcome: 'ignored' };
    }
    if (!this.publisher.accepts(scope, event)) {
      throw this.reject(
        scope,
        'invalid_event',
        new DomainError('REQUEST.INVALID', 'the event does not carry a customer object', [
          { field: 'data.object', reason: 'must be a customer' },
        ]),
      );
    }

    const entry = await this.unavailableOnFailure(scope, () => this.inbox.record(scope, event));
    if (!entry.inserted) this.metrics.duplicates.inc();
    if (entry.publishedAt) {
      return { received: true, event_id: event.id, outcome: 'duplicate' };
    }
    await this.publish(scope, event, entry.id);
    return { received: true, event_id: event.id, outcome: entry.inserted ? 'published' : 'duplicate' };
  }

  private async verify(command: ReceiveStripeWebhookCommand): Promise<{ event: StripeEventLike; source: WebhookEndpoint['source'] }> {
    const { scope, rawBody, signature } = command;
    if (!isFlexPriceId(scope.tenantId) || !isFlexPriceId(scope.environmentId)) {
      throw this.reject(scope, 'unknown_endpoint', unknownEndpoint());
    }
    const endpoint = await this.unavailableOnFailure(scope, () => this.secrets.resolve(scope));
    if (!endpoint) throw this.reject(scope, 'unknown_endpoint', unknownEndpoint());
    if (!signature) throw this.reject(scope, 'missing_signature', invalidSignature());
    if (!endpoint.secret) throw this.reject(scope, 'no_secret', invalidSignature());
    if (!rawBody || rawBody.length === 0) {
      throw this.reject(
        scope,
        'invalid_event',
        new DomainError('REQUEST.INVALID', 'the body must be a JSON Stripe event', [{ field: 'body', reason: 'missing' }]),
      );
    }

    const wasCached = this.secrets.isCached(scope);
    let source = endpoint.source;
    let check = verifyStripeSignature(rawBody, signature, endpoint.secret, this.config.STRIPE_WEBHOOK_TOLERANCE_SECONDS);
    if (!check.ok && check.reason === 'invalid_signature' && wasCached) {
      // The secret may have been rotated since it was cached: check once more against the stored one.
      const fresh = await this.unavailableOnFailure(scope, () => this.secrets.resolve(scope, { fresh: true }));
      if (!fresh) throw this.reject(scope, 'unknown_endpoint', unknownEndpoint());
      if (fresh.secret && fresh.secret !== endpoint.secret) {
        check = verifyStripeSignature(rawBody, signature, fresh.secret, this.config.STRIPE_WEBHOOK_TOLERANCE_SECONDS);
        source = fresh.source;
      }
    }
    if (!check.ok) {
      if (check.reason === 'invalid_event') {
        throw this.reject(
          scope,
          'invalid_event',
          new DomainError('REQUEST.INVALID', 'the body is not a Stripe event', [{ field: 'body', reason: 'not a Stripe event' }]),
        );
      }
      throw this.reject(scope, check.reason, invalidSignature());
    }
    return { event: check.event, source };
  }

  private async publish(scope: TenantScope, event: StripeEventLike, inboxId: string): Promise<void> {
    try {
      await this.publisher.publish([{ scope, event }]);
    } catch (error) {
      this.metrics.publishFailures.inc({ via: 'request' });
      const reason = error instanceof Error ? error.message : String(error);
      await this.inbox.markFailed(scope, [inboxId], reason).catch(() => undefined);
      this.logger.warn(
        { tenant_id: scope.tenantId, environment_id: scope.environmentId, event_id: event.id, event_type: event.type, error: reason },
        'webhook recorded but not published; answering 503 so Stripe retries',
      );
      throw new DomainError('WEBHOOK.UNAVAILABLE', 'webhook accepted for retry: the event bus is unavailable', undefined, { cause: error });
    }
    this.metrics.published.inc({ via: 'request' });
    await this.unavailableOnFailure(scope, () => this.inbox.markPublished(scope, [inboxId]));
    this.logger.log(
      { tenant_id: scope.tenantId, environment_id: scope.environmentId, event_id: event.id, event_type: event.type },
      'webhook published',
    );
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

function unknownEndpoint(): DomainError {
  return new DomainError('WEBHOOK.UNKNOWN_ENDPOINT', 'no webhook endpoint here');
}

function invalidSignature(): DomainError {
  return new DomainError('WEBHOOK.INVALID_SIGNATURE', 'the Stripe-Signature header does not verify for this payload');
}
