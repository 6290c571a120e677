import 'reflect-metadata';
import { exitOnStartupError, loadConfig, startHttpService } from '@flexsync/runtime';
import { ConfigServiceModule } from './app/app.module';
import { ConfigServiceConfig } from './app/config-service.config';

const SERVICE = 'config-service';

async function main(): Promise<void> {
  const config = loadConfig(SERVICE, ConfigServiceConfig);
  await startHttpService({
    service: SERVICE,
    module: ConfigServiceModule.register(config),
    host: config.HOST,
    port: config.PORT,
    bodyLimitBytes: config.HTTP_BODY_LIMIT_BYTES,
    openApi: { title: 'FlexPrice Stripe Sync — config-service', description: 'Per-tenant Stripe configuration', bearerAuth: true },
  });
}

main().catch(exitOnStartupError(SERVICE));
