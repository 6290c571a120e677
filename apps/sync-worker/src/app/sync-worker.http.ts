import type { INestApplication } from '@nestjs/common';
import { createHttpService } from '@flexsync/runtime';
import { SyncWorkerModule } from './app.module';
import { SyncWorkerConfig } from './sync-worker.config';

export const SERVICE = 'sync-worker';

/** HTTP here serves only /health and /metrics; the work arrives through Temporal. */
export function createSyncWorkerHttp(config: SyncWorkerConfig): Promise<INestApplication> {
  return createHttpService({
    service: SERVICE,
    module: SyncWorkerModule.register(config),
    host: config.HOST,
    port: config.PORT,
    bodyLimitBytes: config.HTTP_BODY_LIMIT_BYTES,
  });
}
