import { Inject, Injectable, OnApplicationBootstrap, OnApplicationShutdown } from '@nestjs/common';
import { PinoLogger } from 'nestjs-pino';
import type { DependencyCheck } from '@flexsync/observability';
import type { SyncWorkerActivities } from '@flexsync/sync-contracts';
import { createSyncWorker, SyncWorkerHandle, temporalSecurityFrom } from '@flexsync/temporal';
import { SyncWorkerConfig } from './sync-worker.config';

export const SYNC_ACTIVITIES = Symbol('SYNC_ACTIVITIES');

/** Owns the Temporal worker's lifecycle: started after boot, drained on SIGTERM, its run promise always awaited. */
@Injectable()
export class SyncWorkerRunner implements OnApplicationBootstrap, OnApplicationShutdown {
  private handle?: SyncWorkerHandle;
  private running?: Promise<void>;

  constructor(
    private readonly config: SyncWorkerConfig,
    @Inject(SYNC_ACTIVITIES) private readonly activities: SyncWorkerActivities,
    private readonly logger: PinoLogger,
  ) {
    logger.setContext(SyncWorkerRunner.name);
  }

  async onApplicationBootstrap(): Promise<void> {
    this.handle = await createSyncWorker({
      address: this.config.TEMPORAL_ADDRESS,
      namespace: this.config.TEMPORAL_NAMESPACE,
      security: temporalSecurityFrom(this.config),
      taskQueue: this.config.TEMPORAL_TASK_QUEUE,
      activities: this.activities,
      maxConcurrentActivityTaskExecutions: this.config.WORKER_MAX_CONCURRENT_ACTIVITIES,
      workflowBundle: this.config.WORKFLOW_BUNDLE_PATH ? { codePath: this.config.WORKFLOW_BUNDLE_PATH } : undefined,
    });
    this.running = this.handle.worker.run().catch((error: unknown) => {
      this.logger.fatal({ err: error }, 'temporal worker stopped unexpectedly');
      throw error;
    });
    this.logger.info({ task_queue: this.config.TEMPORAL_TASK_QUEUE, namespace: this.config.TEMPORAL_NAMESPACE }, 'temporal worker polling');
  }

  async onApplicationShutdown(): Promise<void> {
    if (!this.handle) return;
    if (this.handle.worker.getState() === 'RUNNING') this.handle.worker.shutdown();
    await this.running?.catch(() => undefined);
    await this.handle.connection.close();
    this.logger.info({ task_queue: this.config.TEMPORAL_TASK_QUEUE }, 'temporal worker drained and stopped');
  }

  readinessCheck(): DependencyCheck {
    return {
      name: 'temporal_worker',
      probe: async () => {
        const state = this.handle?.worker.getState() ?? 'NOT_STARTED';
        if (state !== 'RUNNING') throw new Error(`worker is ${state}`);
      },
    };
  }
}
