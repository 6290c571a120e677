import type { OpenAPIObject } from '@nestjs/swagger';

type PathItem = OpenAPIObject['paths'][string];

const error = (description: string) => ({
  description,
  content: { 'application/json': { schema: { $ref: '#/components/schemas/ErrorView' } } },
});

const idParameter = (name: string) => ({ name, in: 'path' as const, required: true, schema: { type: 'string' as const } });

/**
 * The OpenAPI entry of `POST /webhooks/stripe/{tenant_id}/{environment_id}`: the route is served below Nest
 * ({@link StripeWebhookRoute}), so Nest's document builder does not see it and it is described here.
 */
export const STRIPE_WEBHOOK_OPENAPI: { path: string; item: PathItem } = {
  path: '/webhooks/stripe/{tenant_id}/{environment_id}',
  item: {
    post: {
      tags: ['webhooks'],
      summary: 'Receive a signed Stripe webhook for one tenant and environment',
      description: 'Stripe calls this; the `Stripe-Signature` header, verified over the raw body, is the authentication (no JWT).',
      parameters: [
        idParameter('tenant_id'),
        idParameter('environment_id'),
        { name: 'Stripe-Signature', in: 'header', required: true, schema: { type: 'string' } },
      ],
      requestBody: { required: true, content: { 'application/json': { schema: { type: 'object', description: 'A Stripe event' } } } },
      responses: {
        '200': {
          description: 'recorded (durable in the inbox; the outbox relay publishes it), already received, or an event type that is not handled',
          content: {
            'application/json': {
              schema: {
                type: 'object',
                required: ['received', 'event_id', 'outcome'],
                properties: {
                  received: { type: 'boolean', enum: [true] },
                  event_id: { type: 'string' },
                  outcome: { type: 'string', enum: ['recorded', 'duplicate', 'ignored'] },
                },
              },
            },
          },
        },
        '400': error(
          'missing, invalid or stale signature (also for a path with no endpoint: the two are indistinguishable), malformed JSON, ' +
            "a body too large, not a Stripe event, or an event whose livemode/account does not match the tenant's Stripe config",
        ),
        '429': error('too many failed deliveries from this address'),
        '503': error('the database is unavailable; Stripe retries'),
      },
    },
  },
};
