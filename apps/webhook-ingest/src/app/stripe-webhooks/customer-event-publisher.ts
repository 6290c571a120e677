import { Inject, Injectable } from '@nestjs/common';
import { encodeStripeCustomerEvent, KafkaPublisher, stripeCustomerEventFromStripeEvent, type StripeEventLike } from '@flexsync/kafka';
import type { TenantScope } from '@flexsync/persistence';
import { WebhookIngestConfig } from '../webhook-ingest.config';

/** Turns verified Stripe customer events into `stripe.customer.events` messages keyed by tenant:environment:customer. */
@Injectable()
export class CustomerEventPublisher {
  constructor(
    @Inject(KafkaPublisher) private readonly publisher: KafkaPublisher,
    @Inject(WebhookIngestConfig) private readonly config: WebhookIngestConfig,
  ) {}

  /** True when the event can be published (a customer event with a customer object). */
  accepts(scope: TenantScope, event: StripeEventLike): boolean {
    return stripeCustomerEventFromStripeEvent(scope, event) !== undefined;
  }

  /** Publishes in order, in one request; throws `KafkaUnavailableError` when Kafka does not acknowledge in time. */
  async publish(events: { scope: TenantScope; event: StripeEventLike }[]): Promise<void> {
    const messages = events.flatMap(({ scope, event }) => {
      const message = stripeCustomerEventFromStripeEvent(scope, event);
      return message ? [encodeStripeCustomerEvent(message)] : [];
    });
    await this.publisher.publish(this.config.KAFKA_CUSTOMER_EVENTS_TOPIC, messages);
  }
}
