import 'reflect-metadata';
import { Logger } from '@nestjs/common';
import { exitOnStartupError, loadConfig } from '@flexsync/runtime';
import { WebhookIngestConfig } from './app/webhook-ingest.config';
import { createWebhookIngestHttp, SERVICE } from './app/webhook-ingest.http';

async function main(): Promise<void> {
  const config = loadConfig(SERVICE, WebhookIngestConfig);
  const app = await createWebhookIngestHttp(config);
  await app.listen(config.PORT, config.HOST);
  new Logger('Bootstrap').log({ host: config.HOST, port: config.PORT }, `${SERVICE} listening`);
}

main().catch(exitOnStartupError(SERVICE));
