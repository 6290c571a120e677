import { Inject, Injectable, Logger } from '@nestjs/common';
import { WebhookIngestConfig } from '../../webhook-ingest.config';
import { BatchJobLoop, type BatchRunOutcome } from '../batch-job-loop';
import { RelayUnpublishedWebhooks } from './relay-unpublished-webhooks.use-case';

/**
 * Runs the relay whenever a webhook is recorded (`wake`), every `OUTBOX_RELAY_INTERVAL_MS` besides, and at once again
 * while it finds full batches; after Kafka refused a batch it waits the interval. Stops with the app.
 */
@Injectable()
export class OutboxRelayLoop extends BatchJobLoop {
  constructor(
    @Inject(RelayUnpublishedWebhooks) private readonly relay: RelayUnpublishedWebhooks,
    @Inject(WebhookIngestConfig) private readonly config: WebhookIngestConfig,
  ) {
    super(new Logger(OutboxRelayLoop.name), 'outbox relay run failed');
  }

  override onApplicationBootstrap(): void {
    if (this.config.OUTBOX_RELAY_ENABLED) super.onApplicationBootstrap();
  }

  protected intervalMs(): number {
    return this.config.OUTBOX_RELAY_INTERVAL_MS;
  }

  protected async runOnce(): Promise<BatchRunOutcome> {
    const result = await this.relay.execute();
    if (result.failed > 0) return 'failed';
    return result.published >= this.config.OUTBOX_RELAY_BATCH_SIZE ? 'more' : 'done';
  }
}
