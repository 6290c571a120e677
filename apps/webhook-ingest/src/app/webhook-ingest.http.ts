import type { INestApplication } from '@nestjs/common';
import { createHttpService, ErrorView } from '@flexsync/runtime';
import { WebhookIngestModule } from './app.module';
import { STRIPE_WEBHOOK_OPENAPI } from './stripe-webhooks/stripe-webhook.openapi';
import { serveStripeWebhooksFirst } from './stripe-webhooks/stripe-webhook.route';
import { WebhookIngestConfig } from './webhook-ingest.config';

export const SERVICE = 'webhook-ingest';

/**
 * The webhook-ingest HTTP app, not yet listening; `main.ts` and the tests build it the same way. The webhook route is
 * served in front of Nest ({@link serveStripeWebhooksFirst}) and added to the OpenAPI document by hand.
 */
export async function createWebhookIngestHttp(config: WebhookIngestConfig): Promise<INestApplication> {
  const app = await createHttpService({
    service: SERVICE,
    module: WebhookIngestModule.register(config),
    host: config.HOST,
    port: config.PORT,
    bodyLimitBytes: config.HTTP_BODY_LIMIT_BYTES,
    openApi: {
      title: 'FlexPrice Stripe Sync — webhook-ingest',
      description:
        'Receives Stripe webhooks per tenant and environment, verifies Stripe-Signature on the raw body, records each event once and publishes ' +
        'customer events to Kafka (stripe.customer.events). No bearer token: the signature is the authentication.',
      extraModels: [ErrorView],
      paths: { [STRIPE_WEBHOOK_OPENAPI.path]: STRIPE_WEBHOOK_OPENAPI.item },
    },
  });
  serveStripeWebhooksFirst(app);
  return app;
}
