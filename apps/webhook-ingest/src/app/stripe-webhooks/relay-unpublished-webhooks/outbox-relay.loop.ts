import { Inject, Injectable, Logger, OnApplicationBootstrap, OnModuleDestroy } from '@nestjs/common';
import { WebhookIngestConfig } from '../../webhook-ingest.config';
import { RelayUnpublishedWebhooks } from './relay-unpublished-webhooks.use-case';

/** Runs the relay every `OUTBOX_RELAY_INTERVAL_MS` (at once again while it finds full batches); stops with the app. */
@Injectable()
export class OutboxRelayLoop implements OnApplicationBootstrap, OnModuleDestroy {
  private readonly logger = new Logger(OutboxRelayLoop.name);
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;
  private stopped = false;

  constructor(
    @Inject(RelayUnpublishedWebhooks) private readonly relay: RelayUnpublishedWebhooks,
    @Inject(WebhookIngestConfig) private readonly config: WebhookIngestConfig,
  ) {}

  onApplicationBootstrap(): void {
    this.stopped = false;
    this.schedule(this.config.OUTBOX_RELAY_INTERVAL_MS);
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
    let next = this.config.OUTBOX_RELAY_INTERVAL_MS;
    try {
      const result = await this.relay.execute();
      if (result.published >= this.config.OUTBOX_RELAY_BATCH_SIZE) next = 0;
    } catch (error) {
      this.logger.warn({ error: error instanceof Error ? error.message : String(error) }, 'outbox relay run failed');
    } finally {
      this.running = undefined;
      this.schedule(next);
    }
  }
}
