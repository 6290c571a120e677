import { Inject, Injectable, Logger } from '@nestjs/common';
import { WebhookIngestConfig } from '../../webhook-ingest.config';
import { BatchJobLoop, type BatchRunOutcome } from '../batch-job-loop';
import { PurgeWebhookPayloads } from './purge-webhook-payloads.use-case';

/** Runs the purge every `WEBHOOK_PURGE_INTERVAL_MS` (at once again while it finds full batches); stops with the app. */
@Injectable()
export class PayloadPurgeLoop extends BatchJobLoop {
  constructor(
    @Inject(PurgeWebhookPayloads) private readonly purge: PurgeWebhookPayloads,
    @Inject(WebhookIngestConfig) private readonly config: WebhookIngestConfig,
  ) {
    super(new Logger(PayloadPurgeLoop.name), 'webhook payload purge failed');
  }

  protected intervalMs(): number {
    return this.config.WEBHOOK_PURGE_INTERVAL_MS;
  }

  protected async runOnce(): Promise<BatchRunOutcome> {
    const result = await this.purge.execute();
    return result.purged >= this.config.WEBHOOK_PURGE_BATCH_SIZE ? 'more' : 'done';
  }
}
