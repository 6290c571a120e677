import type { INestApplication } from '@nestjs/common';
import { createHttpService } from '@flexsync/runtime';
import { SyncOrchestratorModule } from './app.module';
import { SyncOrchestratorConfig } from './sync-orchestrator.config';

export const SERVICE = 'sync-orchestrator';

/** The orchestrator HTTP app, not yet listening; `main.ts` and the tests build it the same way. */
export function createSyncOrchestratorHttp(config: SyncOrchestratorConfig): Promise<INestApplication> {
  return createHttpService({
    service: SERVICE,
    module: SyncOrchestratorModule.register(config),
    host: config.HOST,
    port: config.PORT,
    bodyLimitBytes: config.HTTP_BODY_LIMIT_BYTES,
    openApi: {
      title: 'FlexPrice Stripe Sync — sync-orchestrator',
      description: 'Manual syncs, the hourly schedule, sync status and the push ledger. Every route needs a tenant-admin bearer token.',
      bearerAuth: true,
    },
  });
}
