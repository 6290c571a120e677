import { randomUUID } from 'node:crypto';
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

  async start(input: StripeEventSyncInput, label: string): Promise<StartedSync> {
    const workflowId = `stripe-sync-${label}-${input.tenantId}-${input.environmentId}-${randomUUID()}`;
    try {
      const handle = await this.temporal.workflow.start(STRIPE_EVENT_SYNC_WORKFLOW, {
        taskQueue: this.config.TEMPORAL_TASK_QUEUE,
        workflowId,
        args: [input],
        memo: { trigger: input.trigger },
      });
      this.started.inc({ trigger: input.trigger, result: 'started' });
      this.logger.info(
        { tenant_id: input.tenantId, environment_id: input.environmentId, workflow_id: workflowId, run_id: handle.firstExecutionRunId },
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
