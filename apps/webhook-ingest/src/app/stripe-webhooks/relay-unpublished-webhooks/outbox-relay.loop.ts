import { Inject, Injectable, Logger } from '@nestjs/common';
import { WebhookIngestConfig } from '../../webhook-ingest.config';
import { BatchJobLoop } from '../batch-job-loop';
import { RelayUnpublishedWebhooks } from './relay-unpublished-webhooks.use-case';

/** Runs the relay every `OUTBOX_RELAY_INTERVAL_MS` (at once again while it finds full batches); stops with the app. */
@Injectable()
export class OutboxRelayLoop extends BatchJobLoop {
  constructor(
    @Inject(RelayUnpublishedWebhooks) private readonly relay: RelayUnpublishedWebhooks,
    @Inject(WebhookIngestConfig) private readonly config: WebhookIngestConfig,
  ) {
    super(new Logger(OutboxRelayLoop.name), 'outbox relay run failed');
  }

  protected intervalMs(): number {
    return this.config.OUTBOX_RELAY_INTERVAL_MS;
  }

  protected async runOnce(): Promise<boolean> {
    const result = await this.relay.execute();
    return result.published >= this.config.OUTBOX_RELAY_BATCH_SIZE;
  }
}
