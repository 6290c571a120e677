import { Body, Controller, HttpCode, HttpStatus, Post } from '@nestjs/common';
import {
  ApiAcceptedResponse,
  ApiBadRequestResponse,
  ApiNotFoundResponse,
  ApiOperation,
  ApiServiceUnavailableResponse,
  ApiTags,
} from '@nestjs/swagger';
import { CurrentTenant, TenantAdmin, TenantPrincipal } from '@flexsync/auth';
import { ManualSyncRequestDto, ManualSyncStartedView } from './manual-sync.dto';
import { StartManualSync } from './start-manual-sync.use-case';

@ApiTags('sync')
@TenantAdmin({ operators: true })
@Controller('v1/stripe/sync')
export class ManualSyncController {
  constructor(private readonly startManualSync: StartManualSync) {}

  @Post('manual')
  @HttpCode(HttpStatus.ACCEPTED)
  @ApiOperation({
    summary: 'Start a manual sync',
    description: 'Splits [time_from, time_to) into the tenant’s aggregation windows and starts StripeEventSyncWorkflow.',
  })
  @ApiAcceptedResponse({ type: ManualSyncStartedView })
  @ApiBadRequestResponse({ description: 'invalid field or range' })
  @ApiNotFoundResponse({ description: 'no Stripe config for this tenant and environment' })
  @ApiServiceUnavailableResponse({ description: 'Temporal unavailable' })
  start(@CurrentTenant() principal: TenantPrincipal, @Body() body: ManualSyncRequestDto): Promise<ManualSyncStartedView> {
    return this.startManualSync.execute(principal, body);
  }
}
