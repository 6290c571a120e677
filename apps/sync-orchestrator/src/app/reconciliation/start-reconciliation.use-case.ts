import { Inject, Injectable } from '@nestjs/common';
import { WorkflowExecutionAlreadyStartedError, type Client } from '@temporalio/client';
import { PinoLogger } from 'nestjs-pino';
import type { TenantPrincipal } from '@flexsync/auth';
import { DomainError } from '@flexsync/runtime';
import { type ReconciliationInput, STRIPE_RECONCILIATION_WORKFLOW, tenantWorkflowId } from '@flexsync/sync-contracts';
import { TEMPORAL_CLIENT } from '../shared/temporal-client.token';
import { SyncOrchestratorConfig } from '../sync-orchestrator.config';
import type { ReconciliationRange } from './reconciliation-range';
import type { ReconciliationStartedView } from './reconciliation.dto';

/** How soon a caller refused because a reconciliation is running may ask again. */
const RETRY_AFTER_SECONDS = 30;

/** The API's reconciliation run of a tenant+environment: one at a time, so repeated requests never pile up work. */
export function apiReconciliationWorkflowId(scope: { tenantId: string; environmentId: string }): string {
  return tenantWorkflowId('stripe-reconciliation-api', scope);
}

/**
 * `POST /v1/stripe/sync/reconciliation`: starts `StripeReconciliationWorkflow` on the worker (which holds ClickHouse
 * and the keyring); its report is stored in Postgres for `GET`. While one runs for the tenant, another is refused
 * with 429 and `Retry-After`, naming the running one.
 */
@Injectable()
export class StartReconciliation {
  constructor(
    @Inject(TEMPORAL_CLIENT) private readonly temporal: Client,
    private readonly config: SyncOrchestratorConfig,
    private readonly logger: PinoLogger,
  ) {
    logger.setContext(StartReconciliation.name);
  }

  async execute(principal: TenantPrincipal, range: ReconciliationRange): Promise<ReconciliationStartedView> {
    const workflowId = apiReconciliationWorkflowId(principal);
    const input: ReconciliationInput = {
      tenantId: range.tenantId,
      environmentId: range.environmentId,
      timeFrom: range.timeFrom,
      timeTo: range.timeTo,
      ...(range.customerId === undefined ? {} : { customerId: range.customerId }),
      ...(range.meterId === undefined ? {} : { meterId: range.meterId }),
      trigger: 'api',
      requestedBy: principal.subject,
      windowMinutes: range.windowMinutes,
    };
    const log = { tenant_id: range.tenantId, environment_id: range.environmentId, workflow_id: workflowId };
    try {
      const handle = await this.temporal.workflow.start(STRIPE_RECONCILIATION_WORKFLOW, {
        taskQueue: this.config.TEMPORAL_TASK_QUEUE,
        workflowId,
        workflowIdConflictPolicy: 'FAIL',
        args: [input],
        memo: { trigger: 'api', requested_by: principal.subject },
      });
      this.logger.info({ ...log, run_id: handle.firstExecutionRunId, requested_by: principal.subject }, 'reconciliation started');
      return { workflow_id: workflowId, run_id: handle.firstExecutionRunId, time_from: range.timeFrom, time_to: range.timeTo };
    } catch (error) {
      if (error instanceof WorkflowExecutionAlreadyStartedError) {
        this.logger.info(log, 'reconciliation refused: one is already running for this tenant and environment');
        throw new DomainError(
          'SYNC.TOO_MANY_RUNNING',
          'a reconciliation is already running for this tenant and environment; try again when it has finished',
          { workflow_id: workflowId },
          { retryAfterSeconds: RETRY_AFTER_SECONDS },
        );
      }
      this.logger.error({ ...log, err: error }, 'could not start reconciliation');
      throw new DomainError('SYNC.UNAVAILABLE', 'the sync scheduler (Temporal) is unavailable; try again', undefined, { cause: error });
    }
  }
}
