import 'reflect-metadata';
import { exitOnStartupError, loadConfig, startHttpService } from '@flexsync/runtime';
import { MappingServiceModule } from './app/app.module';
import { MappingServiceConfig } from './app/mapping-service.config';

const SERVICE = 'mapping-service';

async function main(): Promise<void> {
  const config = loadConfig(SERVICE, MappingServiceConfig);
  await startHttpService({
    service: SERVICE,
    module: MappingServiceModule.register(config),
    host: config.HOST,
    port: config.PORT,
    bodyLimitBytes: config.HTTP_BODY_LIMIT_BYTES,
    openApi: {
      title: 'FlexPrice Stripe Sync — mapping-service',
      description: 'Meter and customer mappings between FlexPrice and Stripe',
      bearerAuth: true,
    },
  });
}

main().catch(exitOnStartupError(SERVICE));
