import { Inject, Injectable } from '@nestjs/common';
import {
  encodeStripeCustomerEvent,
  isStripeCustomerEventType,
  KafkaPublisher,
  stripeCustomerEventFromStripeEvent,
  type StripeEventLike,
} from '@flexsync/kafka';
import type { TenantScope } from '@flexsync/persistence';
import { WebhookIngestConfig } from '../webhook-ingest.config';
import { meterErrorReportRouting } from './meter-error-report-routing';

/**
 * Turns verified Stripe customer events into `stripe.customer.events` messages keyed by tenant:environment:customer,
 * and meter error reports into `stripe.meter.error-reports` messages ({@link meterErrorReportRouting}).
 */
@Injectable()
export class CustomerEventPublisher {
  constructor(
    @Inject(KafkaPublisher) private readonly publisher: KafkaPublisher,
    @Inject(WebhookIngestConfig) private readonly config: WebhookIngestConfig,
  ) {}

  /** Event types published at all; others are answered 200 and counted as unhandled. */
  static routes(type: string): boolean {
    return isStripeCustomerEventType(type) || meterErrorReportRouting.routes(type);
  }

  /** True when the event can be published (a customer event with a customer object, or a meter error report). */
  accepts(scope: TenantScope, event: StripeEventLike): boolean {
    return stripeCustomerEventFromStripeEvent(scope, event) !== undefined || meterErrorReportRouting.message(scope, event) !== undefined;
  }

  /** Publishes in order, in one request; throws `KafkaUnavailableError` when Kafka does not acknowledge in time. */
  async publish(events: { scope: TenantScope; event: StripeEventLike }[]): Promise<void> {
    const messages = events.flatMap(({ scope, event }) => {
      const message = stripeCustomerEventFromStripeEvent(scope, event);
      return message ? [encodeStripeCustomerEvent(message)] : [];
    });
    const meterReports = events.flatMap(({ scope, event }) => meterErrorReportRouting.message(scope, event) ?? []);
    await this.publisher.publish(this.config.KAFKA_CUSTOMER_EVENTS_TOPIC, messages);
    await this.publisher.publish(this.config.KAFKA_METER_ERROR_REPORTS_TOPIC, meterReports);
  }
}
