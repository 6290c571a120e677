import { DynamicModule, Module } from '@nestjs/common';
import { getDataSourceToken } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { SecretBox, secretBoxFrom } from '@flexsync/crypto';
import { KAFKA_READINESS_CHECK, KafkaModule, type KafkaCheck } from '@flexsync/kafka';
import { degradedWhenDown, HealthController, ObservabilityModule, readinessChecksProvider } from '@flexsync/observability';
import { PersistenceModule, postgresCheck, StripeConfigStore, WebhookEventStore } from '@flexsync/persistence';
import { CustomerEventPublisher } from './stripe-webhooks/customer-event-publisher';
import { ReceiveStripeWebhook } from './stripe-webhooks/receive-stripe-webhook/receive-stripe-webhook.use-case';
import { PayloadPurgeLoop } from './stripe-webhooks/purge-webhook-payloads/payload-purge.loop';
import { PurgeWebhookPayloads } from './stripe-webhooks/purge-webhook-payloads/purge-webhook-payloads.use-case';
import { OutboxRelayLoop } from './stripe-webhooks/relay-unpublished-webhooks/outbox-relay.loop';
import { RelayUnpublishedWebhooks } from './stripe-webhooks/relay-unpublished-webhooks/relay-unpublished-webhooks.use-case';
import { StripeWebhookRoute } from './stripe-webhooks/stripe-webhook.route';
import { SourceFailureBudget } from './stripe-webhooks/source-failure-budget';
import { InboxRecorder } from './stripe-webhooks/inbox-recorder';
import { WebhookMetrics } from './stripe-webhooks/webhook.metrics';
import { WebhookSigningSecrets } from './stripe-webhooks/webhook-signing-secrets';
import { WebhookIngestConfig } from './webhook-ingest.config';

@Module({})
export class WebhookIngestModule {
  static register(config: WebhookIngestConfig): DynamicModule {
    return {
      module: WebhookIngestModule,
      imports: [
        PersistenceModule.forRoot(config.DATABASE_URL),
        KafkaModule.forService(config),
        ObservabilityModule.forService('webhook-ingest', config),
      ],
      controllers: [HealthController],
      providers: [
        readinessChecksProvider({
          inject: [getDataSourceToken(), KAFKA_READINESS_CHECK],
          // Kafka down only degrades: the inbox/outbox (webhook-ingest) and the consumer's reconnects (mapping-service) cover it.
          useFactory: (dataSource: DataSource, kafka: KafkaCheck) => [postgresCheck(dataSource), degradedWhenDown(kafka)],
        }),
        { provide: WebhookIngestConfig, useValue: config },
        { provide: SecretBox, useFactory: () => secretBoxFrom(config) },
        {
          provide: StripeConfigStore,
          inject: [getDataSourceToken()],
          useFactory: (dataSource: DataSource) => new StripeConfigStore(dataSource),
        },
        WebhookMetrics,
        WebhookSigningSecrets,
        {
          provide: WebhookEventStore,
          inject: [getDataSourceToken()],
          useFactory: (dataSource: DataSource) => new WebhookEventStore(dataSource),
        },
        InboxRecorder,
        CustomerEventPublisher,
        ReceiveStripeWebhook,
        StripeWebhookRoute,
        RelayUnpublishedWebhooks,
        OutboxRelayLoop,
        SourceFailureBudget,
        PurgeWebhookPayloads,
        PayloadPurgeLoop,
      ],
    };
  }
}
