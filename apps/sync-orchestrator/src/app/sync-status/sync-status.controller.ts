import { Controller, Get, HttpCode, HttpStatus, Param, Post, Query } from '@nestjs/common';
import { ApiAcceptedResponse, ApiConflictResponse, ApiNotFoundResponse, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { CurrentTenant, TenantAdmin, TenantPrincipal } from '@flexsync/auth';
import { DomainError } from '@flexsync/runtime';
import { ManualSyncStartedView } from '../manual-sync/manual-sync.dto';
import { stripeAgeProblem } from '../manual-sync/stripe-age-limit';
import { ManualSyncAdmission } from '../shared/manual-sync-admission';
import { batchRetryWorkflowId } from '../shared/manual-sync-workflow-id';
import { SyncWorkflowStarter } from '../shared/sync-workflow-starter';
import { decodeBatchCursor, encodeBatchCursor } from './batch-cursor';
import { SyncBatchReader } from './sync-batch.reader';
import { BatchIdParam, ListBatchesQueryDto, SyncBatchPageView, SyncStatusView, toSyncBatchView } from './sync-status.views';

const STATUS_PERIOD_MS = 24 * 3_600_000;

@ApiTags('sync')
@TenantAdmin({ operators: true })
@Controller('v1/stripe/sync')
export class SyncStatusController {
  constructor(
    private readonly reader: SyncBatchReader,
    private readonly starter: SyncWorkflowStarter,
    private readonly admission: ManualSyncAdmission,
  ) {}

  @Get('status')
  @ApiOperation({ summary: 'Sync health of the caller’s tenant and environment over the last 24 hours (playbook §9)' })
  @ApiOkResponse({ type: SyncStatusView })
  async status(@CurrentTenant() principal: TenantPrincipal): Promise<SyncStatusView> {
    const since = new Date(Date.now() - STATUS_PERIOD_MS);
    const [{ counts, averageLatencyMs }, openBreakers] = await Promise.all([
      this.reader.countsSince(principal, since),
      this.reader.openBreakers(principal),
    ]);
    const finished = counts.completed + counts.failed;
    return {
      success_rate: finished === 0 ? null : Math.round((counts.completed / finished) * 10_000) / 10_000,
      open_circuit_breakers: openBreakers,
      average_latency_ms: averageLatencyMs,
      batches: counts,
      since: since.toISOString(),
    };
  }

  @Get('batches')
  @ApiOperation({ summary: 'List pushes recorded in the ledger (stripe_sync_batches), newest first' })
  @ApiOkResponse({ type: SyncBatchPageView })
  async list(@CurrentTenant() principal: TenantPrincipal, @Query() query: ListBatchesQueryDto): Promise<SyncBatchPageView> {
    const limit = query.limit ?? 50;
    const page = await this.reader.list(principal, {
      status: query.status,
      windowStart: query.window_start ? new Date(query.window_start) : undefined,
      customerId: query.customer_id,
      limit,
      after: query.cursor ? decodeBatchCursor(query.cursor) : undefined,
    });
    return { data: page.rows.map(toSyncBatchView), next_cursor: page.next ? encodeBatchCursor(page.next) : null };
  }

  @Post('batches/:id/retry')
  @HttpCode(HttpStatus.ACCEPTED)
  @ApiOperation({ summary: 'Re-run the window of a failed push for its customer (same identities, so nothing is sent twice)' })
  @ApiAcceptedResponse({ type: ManualSyncStartedView })
  @ApiNotFoundResponse({ description: 'no such batch for this tenant and environment' })
  @ApiConflictResponse({ description: 'the batch is not failed (SYNC.NOT_RETRYABLE) or its outcome is unknown (SYNC.OUTCOME_UNKNOWN)' })
  async retry(@CurrentTenant() principal: TenantPrincipal, @Param() params: BatchIdParam): Promise<ManualSyncStartedView> {
    const batch = await this.reader.require(principal, params.id);
    if (batch.syncStatus === 'unknown') {
      // Stripe dedupes identifiers and idempotency keys for 24 h only: re-sending now could count the usage twice.
      throw new DomainError(
        'SYNC.OUTCOME_UNKNOWN',
        'this push may have reached Stripe and its outcome is unknown past Stripe’s 24 h dedupe horizon; re-sending could count it twice, so only reconciliation against Stripe’s totals may settle it',
      );
    }
    if (batch.syncStatus !== 'failed') {
      throw new DomainError('SYNC.NOT_RETRYABLE', `only failed batches can be retried; this one is ${batch.syncStatus}`);
    }
    const timeFrom = batch.windowStart.toISOString();
    const timeTo = batch.windowEnd.toISOString();
    const tooOld = stripeAgeProblem({ start: timeFrom, end: timeTo }, Date.now());
    if (tooOld !== undefined) {
      throw new DomainError('SYNC.NOT_RETRYABLE', `this batch's window cannot be sent again: it ${tooOld}`);
    }
    const windowMinutes = Math.round((batch.windowEnd.getTime() - batch.windowStart.getTime()) / 60_000);
    const workflowId = batchRetryWorkflowId(batch.id);
    const run = { timeFrom, timeTo, windowMinutes, customerId: batch.customerId, forceRerun: false };
    const started = await this.admission.admit(
      principal,
      { kind: 'retry', workflowId, requestedBy: principal.subject, requestedAs: principal.actingAs, batchId: batch.id, ...run },
      () =>
        this.starter.start(
          { tenantId: principal.tenantId, environmentId: principal.environmentId, ...run, trigger: 'manual' },
          { workflowId, requestedBy: principal.subject },
        ),
    );
    return { workflow_id: started.workflowId, run_id: started.runId, time_from: timeFrom, time_to: timeTo, windows: 1 };
  }
}
