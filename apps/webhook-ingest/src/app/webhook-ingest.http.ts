import type { INestApplication } from '@nestjs/common';
import { createHttpService } from '@flexsync/runtime';
import { WebhookIngestModule } from './app.module';
import { serveStripeWebhooksFirst } from './stripe-webhooks/stripe-webhook.route';
import { WebhookIngestConfig } from './webhook-ingest.config';

export const SERVICE = 'webhook-ingest';

/** The webhook-ingest HTTP app (raw bodies kept for signatures), not yet listening; `main.ts` and the tests build it the same way. */
export async function createWebhookIngestHttp(config: WebhookIngestConfig): Promise<INestApplication> {
  const app = await createHttpService({
    service: SERVICE,
    module: WebhookIngestModule.register(config),
    host: config.HOST,
    port: config.PORT,
    bodyLimitBytes: config.HTTP_BODY_LIMIT_BYTES,
    rawBody: true,
    openApi: {
      title: 'FlexPrice Stripe Sync — webhook-ingest',
      description:
        'Receives Stripe webhooks per tenant and environment, verifies Stripe-Signature on the raw body, records each event once and publishes ' +
        'customer events to Kafka (stripe.customer.events). No bearer token: the signature is the authentication.',
    },
  });
  serveStripeWebhooksFirst(app);
  return app;
}
