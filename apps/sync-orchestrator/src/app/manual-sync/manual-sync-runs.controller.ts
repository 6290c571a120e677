import { Controller, Get, HttpCode, HttpStatus, Param, Post } from '@nestjs/common';
import { ApiAcceptedResponse, ApiConflictResponse, ApiNotFoundResponse, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { CurrentTenant, TenantAdmin, TenantPrincipal } from '@flexsync/auth';
import { CancelRequestedView, ManualSyncRunView, WorkflowIdParam } from './manual-sync-run.views';
import { ManualSyncRuns } from './manual-sync-runs';

@ApiTags('sync')
@TenantAdmin({ operators: true })
@Controller('v1/stripe/sync/runs')
export class ManualSyncRunsController {
  constructor(private readonly runs: ManualSyncRuns) {}

  @Get(':workflow_id')
  @ApiOperation({ summary: 'Progress of a manual sync or retry: Temporal status, windows reached, ledger rows by state' })
  @ApiOkResponse({ type: ManualSyncRunView })
  @ApiNotFoundResponse({ description: 'no manual sync with this workflow_id for this tenant and environment' })
  progress(@CurrentTenant() principal: TenantPrincipal, @Param() params: WorkflowIdParam): Promise<ManualSyncRunView> {
    return this.runs.progress(principal, params.workflow_id);
  }

  @Post(':workflow_id/cancel')
  @HttpCode(HttpStatus.ACCEPTED)
  @ApiOperation({ summary: 'Cancel a running manual sync or retry (pushes already made stay recorded in the ledger)' })
  @ApiAcceptedResponse({ type: CancelRequestedView })
  @ApiNotFoundResponse({ description: 'no manual sync with this workflow_id for this tenant and environment' })
  @ApiConflictResponse({ description: 'the workflow is not running' })
  cancel(@CurrentTenant() principal: TenantPrincipal, @Param() params: WorkflowIdParam): Promise<CancelRequestedView> {
    return this.runs.cancel(principal, params.workflow_id);
  }
}
