import { Body, Controller, Delete, Get, HttpCode, HttpStatus, Post, Put, Query, Res } from '@nestjs/common';
import {
  ApiBadGatewayResponse,
  ApiBadRequestResponse,
  ApiBody,
  ApiCreatedResponse,
  ApiExtraModels,
  ApiNoContentResponse,
  ApiNotFoundResponse,
  ApiOkResponse,
  ApiOperation,
  ApiTags,
  ApiUnauthorizedResponse,
} from '@nestjs/swagger';
import type { Response } from 'express';
import { CurrentTenant, TenantAdmin, TenantPrincipal } from '@flexsync/auth';
import { ERROR_STATUS, ErrorView } from '@flexsync/runtime';
import { ConnectionTestFailureView, ConnectionTestView } from './dto/connection-test.view';
import { HistoryQueryDto } from './dto/history-query.dto';
import { HistoryView } from './dto/history.view';
import { PutStripeConfigDto } from './dto/put-stripe-config.dto';
import { StripeConfigView, toStripeConfigView } from './dto/stripe-config.view';
import { DeleteStripeConfig } from './use-cases/delete-stripe-config';
import { GetStripeConfig } from './use-cases/get-stripe-config';
import { ListConfigHistory } from './use-cases/list-config-history';
import { SaveStripeConfig } from './use-cases/save-stripe-config';
import { TestStripeConnection } from './use-cases/test-stripe-connection';

/** The caller's Stripe config, for the tenant and environment its token names. */
@ApiTags('stripe-config')
@ApiExtraModels(ErrorView)
@TenantAdmin()
@Controller('v1/stripe/config')
export class StripeConfigController {
  constructor(
    private readonly saveConfig: SaveStripeConfig,
    private readonly getConfig: GetStripeConfig,
    private readonly deleteConfig: DeleteStripeConfig,
    private readonly testConnection: TestStripeConnection,
    private readonly listHistory: ListConfigHistory,
  ) {}

  @Put()
  @ApiOperation({
    summary: 'Create or replace the Stripe config',
    description:
      'Validates every field, seals the key and webhook secret, bumps updated_at on every change and audits which fields changed.',
  })
  @ApiBody({ type: PutStripeConfigDto })
  @ApiOkResponse({ type: StripeConfigView, description: 'updated (or unchanged)' })
  @ApiCreatedResponse({ type: StripeConfigView, description: 'created' })
  @ApiBadRequestResponse({ type: ErrorView, description: 'invalid field, unknown field, malformed JSON or oversized body' })
  async put(
    @CurrentTenant() principal: TenantPrincipal,
    @Body() dto: PutStripeConfigDto,
    @Res({ passthrough: true }) response: Response,
  ): Promise<StripeConfigView> {
    const outcome = await this.saveConfig.execute(principal, dto);
    response.status(outcome.created ? HttpStatus.CREATED : HttpStatus.OK);
    return toStripeConfigView(outcome.config);
  }

  @Get()
  @ApiOperation({ summary: 'Read the Stripe config', description: 'The key is masked (sk_test_…wxyz); secrets are never returned.' })
  @ApiOkResponse({ type: StripeConfigView })
  @ApiNotFoundResponse({ type: ErrorView })
  async get(@CurrentTenant() principal: TenantPrincipal): Promise<StripeConfigView> {
    return toStripeConfigView(await this.getConfig.execute(principal));
  }

  @Delete()
  @HttpCode(HttpStatus.NO_CONTENT)
  @ApiOperation({ summary: 'Delete the Stripe config' })
  @ApiNoContentResponse({ description: 'deleted' })
  @ApiNotFoundResponse({ type: ErrorView })
  async delete(@CurrentTenant() principal: TenantPrincipal): Promise<void> {
    await this.deleteConfig.execute(principal);
  }

  @Post('test')
  @ApiOperation({
    summary: 'Test the stored key against Stripe',
    description: 'Decrypts the key and calls Stripe GET /v1/balance; records the outcome on the config.',
  })
  @ApiOkResponse({ type: ConnectionTestView })
  @ApiUnauthorizedResponse({
    type: ConnectionTestFailureView,
    description: 'Stripe rejected the key (status auth_error), or the caller’s token is invalid',
  })
  @ApiBadGatewayResponse({ type: ConnectionTestFailureView, description: 'Stripe unreachable or failing (status unreachable)' })
  @ApiNotFoundResponse({ type: ErrorView })
  async test(
    @CurrentTenant() principal: TenantPrincipal,
    @Res({ passthrough: true }) response: Response,
  ): Promise<ConnectionTestView | ConnectionTestFailureView> {
    const outcome = await this.testConnection.execute(principal);
    const testedAt = outcome.testedAt.toISOString();
    switch (outcome.result) {
      case 'connected':
        response.status(HttpStatus.OK);
        return { status: 'connected', livemode: outcome.livemode, stripe_account_id: outcome.accountId, tested_at: testedAt };
      case 'auth_error':
        response.status(ERROR_STATUS['STRIPE.AUTH_FAILED']);
        return {
          status: 'auth_error',
          code: 'STRIPE.AUTH_FAILED',
          message: outcome.message,
          details: { status: 'auth_error', tested_at: testedAt },
        };
      case 'unreachable':
        response.status(ERROR_STATUS['STRIPE.UNAVAILABLE']);
        return {
          status: 'unreachable',
          code: 'STRIPE.UNAVAILABLE',
          message: outcome.message,
          details: { status: 'unreachable', cause: outcome.message, tested_at: testedAt },
        };
    }
  }

  @Get('history')
  @ApiOperation({
    summary: 'Audit trail of the config',
    description: 'Who changed which fields and when, newest first; never secret values.',
  })
  @ApiOkResponse({ type: HistoryView })
  @ApiBadRequestResponse({ type: ErrorView })
  async history(@CurrentTenant() principal: TenantPrincipal, @Query() query: HistoryQueryDto): Promise<HistoryView> {
    return this.listHistory.execute(principal, query);
  }
}
