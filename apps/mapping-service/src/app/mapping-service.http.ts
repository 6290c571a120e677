import type { INestApplication } from '@nestjs/common';
import { createHttpService } from '@flexsync/runtime';
import { MappingServiceModule } from './app.module';
import { MappingServiceConfig } from './mapping-service.config';

export const SERVICE = 'mapping-service';

/** The mapping-service HTTP app (API + customer events consumer), not yet listening; `main.ts` and the tests build it the same way. */
export function createMappingServiceHttp(config: MappingServiceConfig): Promise<INestApplication> {
  return createHttpService({
    service: SERVICE,
    module: MappingServiceModule.register(config),
    host: config.HOST,
    port: config.PORT,
    bodyLimitBytes: config.HTTP_BODY_LIMIT_BYTES,
    openApi: {
      title: 'FlexPrice Stripe Sync — mapping-service',
      description:
        'FlexPrice meter → Stripe Meter event_name mappings, and FlexPrice customer ↔ Stripe customer mappings (filled from Stripe customer webhooks ' +
        `via Kafka, using the customer's metadata key, default flexprice_customer_id). Every route needs a tenant-admin bearer token; errors are \`{ code, message, details }\`.`,
      bearerAuth: true,
    },
  });
}
