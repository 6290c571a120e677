import { Inject, Injectable, Logger } from '@nestjs/common';
import type { TenantScope } from '@flexsync/persistence';
import { CustomerEventPublisher } from '../customer-event-publisher';
import { WebhookInbox, type UnpublishedEntry } from '../webhook-inbox';
import { WebhookMetrics } from '../webhook.metrics';
import { WebhookIngestConfig } from '../../webhook-ingest.config';

export interface RelayResult {
  published: number;
  failed: number;
}

function scopeKey(scope: TenantScope): string {
  return `${scope.tenantId}\u0000${scope.environmentId}`;
}

function groupByScope(entries: UnpublishedEntry[]): { scope: TenantScope; ids: string[] }[] {
  const groups = new Map<string, { scope: TenantScope; ids: string[] }>();
  for (const entry of entries) {
    const key = scopeKey(entry);
    const group = groups.get(key) ?? { scope: { tenantId: entry.tenantId, environmentId: entry.environmentId }, ids: [] };
    group.ids.push(entry.id);
    groups.set(key, group);
  }
  return [...groups.values()];
}

/**
 * The outbox relay: publishes inbox events that were recorded but not acknowledged by Kafka (the request answered
 * 503, or the process died in between). Oldest first, in one produce request, so a customer's events keep their order.
 */
@Injectable()
export class RelayUnpublishedWebhooks {
  private readonly logger = new Logger(RelayUnpublishedWebhooks.name);

  constructor(
    @Inject(WebhookInbox) private readonly inbox: WebhookInbox,
    @Inject(CustomerEventPublisher) private readonly publisher: CustomerEventPublisher,
    @Inject(WebhookMetrics) private readonly metrics: WebhookMetrics,
    @Inject(WebhookIngestConfig) private readonly config: WebhookIngestConfig,
  ) {}

  async execute(): Promise<RelayResult> {
    const result = await this.inbox.transaction(async (manager) => {
      const entries = await this.inbox.lockUnpublished(manager, this.config.OUTBOX_RELAY_BATCH_SIZE, this.config.OUTBOX_RELAY_MIN_AGE_MS);
      if (entries.length === 0) return { published: 0, failed: 0 };
      const groups = groupByScope(entries);
      try {
        await this.publisher.publish(entries.map((entry) => ({ scope: entry, event: entry.payload })));
      } catch (error) {
        const reason = error instanceof Error ? error.message : String(error);
        for (const group of groups) await this.inbox.markFailed(group.scope, group.ids, reason, manager);
        this.metrics.publishFailures.inc({ via: 'relay' }, entries.length);
        this.logger.warn({ count: entries.length, error: reason }, 'outbox relay could not publish; will retry');
        return { published: 0, failed: entries.length };
      }
      for (const group of groups) await this.inbox.markPublished(group.scope, group.ids, manager);
      this.metrics.published.inc({ via: 'relay' }, entries.length);
      for (const group of groups) {
        this.logger.log(
          { tenant_id: group.scope.tenantId, environment_id: group.scope.environmentId, count: group.ids.length },
          'outbox relay published webhooks',
        );
      }
      return { published: entries.length, failed: 0 };
    });
    this.metrics.unpublished.set(await this.inbox.countUnpublished());
    return result;
  }
}
