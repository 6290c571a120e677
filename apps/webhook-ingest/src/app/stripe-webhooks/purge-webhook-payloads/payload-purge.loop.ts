import { Inject, Injectable, Logger, OnApplicationBootstrap, OnModuleDestroy } from '@nestjs/common';
import { WebhookIngestConfig } from '../../webhook-ingest.config';
import { PurgeWebhookPayloads } from './purge-webhook-payloads.use-case';

/** Runs the purge every `WEBHOOK_PURGE_INTERVAL_MS` (at once again while it finds full batches); stops with the app. */
@Injectable()
export class PayloadPurgeLoop implements OnApplicationBootstrap, OnModuleDestroy {
  private readonly logger = new Logger(PayloadPurgeLoop.name);
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;
  private stopped = false;

  constructor(
    @Inject(PurgeWebhookPayloads) private readonly purge: PurgeWebhookPayloads,
    @Inject(WebhookIngestConfig) private readonly config: WebhookIngestConfig,
  ) {}

  onApplicationBootstrap(): void {
    this.stopped = false;
    this.schedule(this.config.WEBHOOK_PURGE_INTERVAL_MS);
  }

  async onModuleDestroy(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.timer);
    await this.running;
  }

  private schedule(delayMs: number): void {
    if (this.stopped) return;
    this.timer = setTimeout(() => {
      this.running = this.tick();
    }, delayMs);
  }

  private async tick(): Promise<void> {
    let next = this.config.WEBHOOK_PURGE_INTERVAL_MS;
    try {
      const result = await this.purge.execute();
      if (result.purged >= this.config.WEBHOOK_PURGE_BATCH_SIZE) next = 0;
    } catch (error) {
      this.logger.warn({ error: error instanceof Error ? error.message : String(error) }, 'webhook payload purge failed');
    } finally {
      this.running = undefined;
      this.schedule(next);
    }
  }
}
