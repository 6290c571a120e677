import 'reflect-metadata';
import { Logger } from '@nestjs/common';
import { exitOnStartupError, loadConfig } from '@flexsync/runtime';
import { SyncOrchestratorConfig } from './app/sync-orchestrator.config';
import { createSyncOrchestratorHttp, SERVICE } from './app/sync-orchestrator.http';

async function main(): Promise<void> {
  const config = loadConfig(SERVICE, SyncOrchestratorConfig);
  const app = await createSyncOrchestratorHttp(config);
  await app.listen(config.PORT, config.HOST);
  new Logger('Bootstrap').log({ host: config.HOST, port: config.PORT }, `${SERVICE} listening`);
}

main().catch(exitOnStartupError(SERVICE));
