import { Inject, Injectable } from '@nestjs/common';
import { Counter, Gauge, Histogram } from 'prom-client';
import { MetricsRegistry } from '@flexsync/observability';

export type WebhookRejection =
  | 'unknown_endpoint'
  | 'missing_signature'
  | 'invalid_signature'
  | 'stale_timestamp'
  | 'no_secret'
  | 'malformed_json'
  | 'invalid_event'
  | 'replayed_to_another_tenant'
  | 'livemode_mismatch'
  | 'account_mismatch'
  | 'rate_limited';

/** Counters of the webhook pipeline: received → verified | rejected → recorded → published by the outbox relay (latency is the shared http_request_duration_seconds). */
@Injectable()
export class WebhookMetrics {
  readonly received: Counter;
  readonly verified: Counter<'event_type'>;
  readonly rejected: Counter<'reason'>;
  readonly unhandled: Counter<'event_type'>;
  readonly duplicates: Counter;
  readonly published: Counter<'via'>;
  readonly publishFailures: Counter<'via'>;
  readonly unpublished: Gauge;
  readonly oldestUnpublishedAge: Gauge;
  readonly relayBatchSize: Histogram;
  readonly inboxBatchSize: Histogram;
  readonly payloadsPurged: Counter;

  constructor(@Inject(MetricsRegistry) registry: MetricsRegistry) {
    const registers = [registry];
    this.received = new Counter({ name: 'stripe_webhooks_received_total', help: 'Webhook requests received.', registers });
    this.verified = new Counter({
      name: 'stripe_webhooks_verified_total',
      help: 'Webhooks whose Stripe-Signature verified, by event type (allow-listed, else other).',
      labelNames: ['event_type'],
      registers,
    });
    this.rejected = new Counter({
      name: 'stripe_webhooks_rejected_total',
      help: 'Webhooks refused, by reason.',
      labelNames: ['reason'],
      registers,
    });
    this.unhandled = new Counter({
      name: 'stripe_webhooks_unhandled_total',
      help: 'Verified webhooks of event types this service does not handle (answered 200).',
      labelNames: ['event_type'],
      registers,
    });
    this.duplicates = new Counter({
      name: 'stripe_webhooks_duplicates_total',
      help: 'Deliveries of an event already in the inbox.',
      registers,
    });
    this.published = new Counter({
      name: 'stripe_webhooks_published_total',
      help: 'Inbox events published to Kafka, by path (the outbox relay publishes every recorded event).',
      labelNames: ['via'],
      registers,
    });
    this.publishFailures = new Counter({
      name: 'stripe_webhooks_publish_failures_total',
      help: 'Failed Kafka publishes (the event stays in the inbox for the relay).',
      labelNames: ['via'],
      registers,
    });
    this.payloadsPurged = new Counter({
      name: 'stripe_webhook_payloads_purged_total',
      help: 'Inbox payloads (personal data) removed after the retention; the rows stay for dedupe.',
      registers,
    });
    this.unpublished = new Gauge({
      name: 'stripe_webhook_outbox_unpublished',
      help: 'Inbox events not yet published to Kafka (the outbox depth).',
      registers,
    });
    this.oldestUnpublishedAge = new Gauge({
      name: 'stripe_webhook_outbox_oldest_age_seconds',
      help: 'Age of the oldest inbox event not yet published to Kafka (0 when the outbox is empty): the delay a Kafka outage costs.',
      registers,
    });
    this.inboxBatchSize = new Histogram({
      name: 'stripe_webhook_inbox_batch_size',
      help: 'Deliveries recorded per inbox INSERT (the group commit: one round trip and one commit for all of them).',
      buckets: [1, 2, 4, 8, 16, 32, 64, 128, 200],
      registers,
    });
    this.relayBatchSize = new Histogram({
      name: 'stripe_webhook_outbox_relay_batch_size',
      help: 'Events published per outbox relay run (one Kafka produce request).',
      buckets: [1, 2, 5, 10, 20, 50, 100, 200, 500, 1000],
      registers,
    });
  }
}
