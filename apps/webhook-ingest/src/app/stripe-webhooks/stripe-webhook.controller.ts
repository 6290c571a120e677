import { Controller, Headers, HttpCode, Inject, Param, Post, Req, type RawBodyRequest } from '@nestjs/common';
import {
  ApiBadRequestResponse,
  ApiOkResponse,
  ApiOperation,
  ApiServiceUnavailableResponse,
  ApiTags,
  ApiTooManyRequestsResponse,
} from '@nestjs/swagger';
import type { Request } from 'express';
import type { TenantScopedRequest } from '@flexsync/observability';
import type { WebhookReceipt } from './receive-stripe-webhook/receive-stripe-webhook.command';
import { ReceiveStripeWebhook } from './receive-stripe-webhook/receive-stripe-webhook.use-case';

type WebhookRequest = RawBodyRequest<Request> & Pick<TenantScopedRequest, 'tenantId' | 'environmentId'>;

/** Stripe calls this; the `Stripe-Signature` header is the authentication (no JWT). */
@ApiTags('webhooks')
@Controller('webhooks/stripe')
export class StripeWebhookController {
  constructor(@Inject(ReceiveStripeWebhook) private readonly receive: ReceiveStripeWebhook) {}

  @Post(':tenant_id/:environment_id')
  @HttpCode(200)
  @ApiOperation({ summary: 'Receive a signed Stripe webhook for one tenant and environment' })
  @ApiOkResponse({ description: 'recorded and published, already received, or an event type that is not handled' })
  @ApiBadRequestResponse({
    description:
      'missing, invalid or stale signature (also for a path with no endpoint: the two are indistinguishable), not a Stripe event, ' +
      "or an event whose livemode/account does not match the tenant's Stripe config",
  })
  @ApiTooManyRequestsResponse({ description: 'too many failed deliveries from this address' })
  @ApiServiceUnavailableResponse({ description: 'the event bus or database is unavailable; Stripe retries' })
  async handle(
    @Param('tenant_id') tenantId: string,
    @Param('environment_id') environmentId: string,
    @Headers('stripe-signature') signature: string | undefined,
    @Req() request: WebhookRequest,
  ): Promise<WebhookReceipt> {
    // The ids are already in the logged URL; as fields they make the request log line searchable by tenant.
    request.tenantId = tenantId;
    request.environmentId = environmentId;
    return this.receive.execute({
      scope: { tenantId, environmentId },
      rawBody: request.rawBody,
      signature,
      source: request.ip ?? request.socket.remoteAddress ?? 'unknown',
    });
  }
}
