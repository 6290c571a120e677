import 'reflect-metadata';
import { exitOnStartupError, loadConfig, startHttpService } from '@flexsync/runtime';
import { SyncOrchestratorModule } from './app/app.module';
import { SyncOrchestratorConfig } from './app/sync-orchestrator.config';

const SERVICE = 'sync-orchestrator';

async function main(): Promise<void> {
  const config = loadConfig(SERVICE, SyncOrchestratorConfig);
  await startHttpService({
    service: SERVICE,
    module: SyncOrchestratorModule.register(config),
    host: config.HOST,
    port: config.PORT,
    bodyLimitBytes: config.HTTP_BODY_LIMIT_BYTES,
    openApi: { title: 'FlexPrice Stripe Sync — sync-orchestrator', description: 'Manual and scheduled usage syncs', bearerAuth: true },
  });
}

main().catch(exitOnStartupError(SERVICE));
