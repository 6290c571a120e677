import 'reflect-metadata';
import { exitOnStartupError, loadConfig, startHttpService } from '@flexsync/runtime';
import { WebhookIngestModule } from './app/app.module';
import { WebhookIngestConfig } from './app/webhook-ingest.config';

const SERVICE = 'webhook-ingest';

async function main(): Promise<void> {
  const config = loadConfig(SERVICE, WebhookIngestConfig);
  await startHttpService({
    service: SERVICE,
    module: WebhookIngestModule.register(config),
    host: config.HOST,
    port: config.PORT,
    bodyLimitBytes: config.HTTP_BODY_LIMIT_BYTES,
    rawBody: true,
    openApi: { title: 'FlexPrice Stripe Sync — webhook-ingest', description: 'Signed Stripe webhooks → inbox → Kafka' },
  });
}

main().catch(exitOnStartupError(SERVICE));
