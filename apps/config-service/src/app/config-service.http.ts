import type { INestApplication } from '@nestjs/common';
import { createHttpService } from '@flexsync/runtime';
import { ConfigServiceModule } from './app.module';
import { ConfigServiceConfig } from './config-service.config';

export const SERVICE = 'config-service';

/** The config-service HTTP app, not yet listening; `main.ts` and the tests build it the same way. */
export function createConfigServiceHttp(config: ConfigServiceConfig): Promise<INestApplication> {
  return createHttpService({
    service: SERVICE,
    module: ConfigServiceModule.register(config),
    host: config.HOST,
    port: config.PORT,
    bodyLimitBytes: config.HTTP_BODY_LIMIT_BYTES,
    openApi: {
      title: 'FlexPrice Stripe Sync — config-service',
      description:
        "Per-tenant Stripe configuration: the tenant's Stripe API key and webhook secret (stored encrypted), sync settings, a connection test and the audit trail. " +
        'Every route needs a tenant-admin bearer token; errors are `{ code, message, details }`.',
      bearerAuth: true,
    },
  });
}
