import { Inject, Injectable, Logger } from '@nestjs/common';
import { WebhookEventStore } from '@flexsync/persistence';
import { WebhookMetrics } from '../webhook.metrics';
import { WebhookIngestConfig } from '../../webhook-ingest.config';

export interface PurgeResult {
  purged: number;
}

/**
 * Removes the payload (the Stripe customer: names, emails, addresses) of inbox events published longer ago than
 * `WEBHOOK_PAYLOAD_RETENTION_SECONDS`. The row and its event id stay, so a late redelivery is still a duplicate;
 * unpublished events keep their payload until the relay has sent it.
 */
@Injectable()
export class PurgeWebhookPayloads {
  private readonly logger = new Logger(PurgeWebhookPayloads.name);

  constructor(
    @Inject(WebhookEventStore) private readonly inbox: WebhookEventStore,
    @Inject(WebhookMetrics) private readonly metrics: WebhookMetrics,
    @Inject(WebhookIngestConfig) private readonly config: WebhookIngestConfig,
  ) {}

  async execute(): Promise<PurgeResult> {
    const purged = await this.inbox.purgePayloads(this.config.WEBHOOK_PAYLOAD_RETENTION_SECONDS, this.config.WEBHOOK_PURGE_BATCH_SIZE);
    if (purged > 0) {
      this.metrics.payloadsPurged.inc(purged);
      this.logger.log({ purged, retention_seconds: this.config.WEBHOOK_PAYLOAD_RETENTION_SECONDS }, 'webhook payloads purged');
    }
    return { purged };
  }
}
