import { Controller, Get } from '@nestjs/common';
import { ApiNotFoundResponse, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { CurrentTenant, TenantAdmin, TenantPrincipal } from '@flexsync/auth';
import { DomainError } from '@flexsync/runtime';
import { SyncCoverageStore } from '@flexsync/sync-pipeline';
import { SyncOrchestratorConfig } from '../sync-orchestrator.config';
import { SyncCoverageView, toSyncCoverageView } from './sync-coverage.view';

@ApiTags('sync')
@TenantAdmin({ operators: true })
@Controller('v1/stripe/sync')
/** The coverage the scheduler works from (the worker's plan, read-only); the worker logs and counts what is beyond the limit. */
export class SyncCoverageController {
  constructor(
    private readonly store: SyncCoverageStore,
    private readonly config: SyncOrchestratorConfig,
  ) {}

  @Get('coverage')
  @ApiOperation({ summary: 'Which closed windows of the caller’s tenant and environment are delivered to Stripe, and which can no longer be' })
  @ApiOkResponse({ type: SyncCoverageView })
  @ApiNotFoundResponse({ description: 'no Stripe config for this tenant and environment' })
  async coverage(@CurrentTenant() principal: TenantPrincipal): Promise<SyncCoverageView> {
    const now = new Date();
    const plan = await this.store.plan(principal, {
      closedBy: now,
      nowMs: now.getTime(),
      lookbackHours: this.config.STRIPE_SYNC_LOOKBACK_HOURS,
      maxWindows: 0,
    });
    if (!plan) throw new DomainError('CONFIG.NOT_FOUND', 'no Stripe config for this tenant and environment; PUT /v1/stripe/config first');
    return toSyncCoverageView(plan, now);
  }
}
