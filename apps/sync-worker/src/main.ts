import 'reflect-metadata';
import { exitOnStartupError, loadConfig, startHttpService } from '@flexsync/runtime';
import { routeTemporalLogsToJson } from '@flexsync/temporal';
import { SyncWorkerModule } from './app/app.module';
import { SyncWorkerConfig } from './app/sync-worker.config';

const SERVICE = 'sync-worker';

async function main(): Promise<void> {
  const config = loadConfig(SERVICE, SyncWorkerConfig);
  routeTemporalLogsToJson(SERVICE);
  // HTTP here serves only /health and /metrics; the work arrives through Temporal.
  await startHttpService({
    service: SERVICE,
    module: SyncWorkerModule.register(config),
    host: config.HOST,
    port: config.PORT,
    bodyLimitBytes: config.HTTP_BODY_LIMIT_BYTES,
  });
}

main().catch(exitOnStartupError(SERVICE));
