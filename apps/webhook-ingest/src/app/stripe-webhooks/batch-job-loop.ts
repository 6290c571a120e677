import { Logger, OnApplicationBootstrap, OnModuleDestroy } from '@nestjs/common';

/** What one run of a batch job found: more waiting (run again at once), nothing more, or a failure (wait). */
export type BatchRunOutcome = 'more' | 'done' | 'failed';

/**
 * Runs a batch job every `intervalMs()`, at once again while a run fills its batch (more is waiting), and at once
 * when `wake()` says there is new work (right after the run in flight, if any, so work arriving meanwhile is taken
 * as one batch). A failed run (thrown, or reported) is retried at the next interval and wakes are ignored until then,
 * so a dependency that is down is not hammered. Stops with the app, waiting for the run in flight.
 */
export abstract class BatchJobLoop implements OnApplicationBootstrap, OnModuleDestroy {
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;
  private stopped = true;
  private wokenMeanwhile = false;
  private backingOff = false;

  protected constructor(
    private readonly logger: Logger,
    private readonly failureMessage: string,
  ) {}

  protected abstract intervalMs(): number;

  /** One run of the job. */
  protected abstract runOnce(): Promise<BatchRunOutcome>;

  onApplicationBootstrap(): void {
    this.stopped = false;
    this.schedule(this.intervalMs());
  }

  async onModuleDestroy(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.timer);
    await this.running;
  }

  /** New work is waiting: run now, or right after the run in flight. */
  wake(): void {
    if (this.stopped || this.backingOff) return;
    if (this.running) {
      this.wokenMeanwhile = true;
      return;
    }
    clearTimeout(this.timer);
    this.running = this.tick();
  }

  private schedule(delayMs: number): void {
    if (this.stopped) return;
    clearTimeout(this.timer);
    this.timer = setTimeout(() => {
      this.running = this.tick();
    }, delayMs);
  }

  private async tick(): Promise<void> {
    this.wokenMeanwhile = false;
    let outcome: BatchRunOutcome = 'failed';
    try {
      outcome = await this.runOnce();
    } catch (error) {
      this.logger.warn({ error: error instanceof Error ? error.message : String(error) }, this.failureMessage);
    } finally {
      this.backingOff = outcome === 'failed';
      this.running = undefined;
      const again = outcome === 'more' || (outcome === 'done' && this.wokenMeanwhile);
      this.schedule(again ? 0 : this.intervalMs());
    }
  }
}
