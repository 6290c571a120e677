import { Logger, OnApplicationBootstrap, OnModuleDestroy } from '@nestjs/common';

/**
 * Runs a batch job every `intervalMs()` and at once again while a run fills its batch (more is waiting); a failed run
 * is logged and retried at the next interval. Stops with the app, waiting for the run in flight.
 */
export abstract class BatchJobLoop implements OnApplicationBootstrap, OnModuleDestroy {
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;
  private stopped = false;

  protected constructor(
    private readonly logger: Logger,
    private readonly failureMessage: string,
  ) {}

  protected abstract intervalMs(): number;

  /** One run of the job; true when it filled its batch. */
  protected abstract runOnce(): Promise<boolean>;

  onApplicationBootstrap(): void {
    this.stopped = false;
    this.schedule(this.intervalMs());
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
    let next = this.intervalMs();
    try {
      if (await this.runOnce()) next = 0;
    } catch (error) {
      this.logger.warn({ error: error instanceof Error ? error.message : String(error) }, this.failureMessage);
    } finally {
      this.running = undefined;
      this.schedule(next);
    }
  }
}
