import { Inject, Injectable } from '@nestjs/common';
import type { Client } from '@temporalio/client';
import { PinoLogger } from 'nestjs-pino';
import { Counter } from 'prom-client';
import { MetricsRegistry } from '@flexsync/observability';
import { DomainError } from '@flexsync/runtime';
import { STRIPE_EVENT_SYNC_WORKFLOW, StripeEventSyncInput } from '@flexsync/sync-contracts';
import { SyncOrchestratorConfig } from '../sync-orchestrator.config';
import { TEMPORAL_CLIENT } from './temporal-client.token';

export interface StartedSync {
  workflowId: string;
  runId: string;
}

export interface SyncStartRequest {
  /** Stable per distinct request (see `manual-sync-workflow-id.ts`): a running workflow with this id is joined, not duplicated. */
  workflowId: string;
  /** The caller's token `sub`, kept in the workflow's memo for the audit trail. */
  requestedBy: string;
}

/** Starts `StripeEventSyncWorkflow` runs on the `stripe-sync` task queue. */
@Injectable()
export class SyncWorkflowStarter {
  private readonly started: Counter<'trigger' | 'result'>;

  constructor(
    @Inject(TEMPORAL_CLIENT) private readonly temporal: Client,
    @Inject(MetricsRegistry) registry: MetricsRegistry,
    private readonly logger: PinoLogger,
    private readonly config: SyncOrchestratorConfig,
  ) {
    logger.setContext(SyncWorkflowStarter.name);
    this.started = new Counter({
      name: 'stripe_sync_workflows_started_total',
      help: 'Sync workflow starts requested, by trigger and result',
      labelNames: ['trigger', 'result'],
      registers: [registry],
    });
  }

  /** Starts the workflow, or returns the running one with the same id (Temporal decides atomically). */
  async start(input: StripeEventSyncInput, request: SyncStartRequest): Promise<StartedSync> {
    const { workflowId } = request;
    try {
      const handle = await this.temporal.workflow.start(STRIPE_EVENT_SYNC_WORKFLOW, {
        taskQueue: this.config.TEMPORAL_TASK_QUEUE,
        workflowId,
        workflowIdConflictPolicy: 'USE_EXISTING',
        args: [input],
        memo: { trigger: input.trigger, requested_by: request.requestedBy },
      });
      this.started.inc({ trigger: input.trigger, result: 'started' });
      this.logger.info(
        {
          tenant_id: input.tenantId,
          environment_id: input.environmentId,
          workflow_id: workflowId,
          run_id: handle.firstExecutionRunId,
          requested_by: request.requestedBy,
        },
        'sync workflow started',
      );
      return { workflowId, runId: handle.firstExecutionRunId };
    } catch (error) {
      this.started.inc({ trigger: input.trigger, result: 'unavailable' });
      this.logger.error({ tenant_id: input.tenantId, environment_id: input.environmentId, err: error }, 'could not start sync workflow');
      throw new DomainError('SYNC.UNAVAILABLE', 'the sync scheduler (Temporal) is unavailable; try again', undefined, { cause: error });
    }
  }
}
