import { Inject, Injectable, Logger } from '@nestjs/common';
import type { StripeEventLike } from '@flexsync/kafka';
import { WebhookEventStore, type TenantScope, type UnpublishedWebhookEvent } from '@flexsync/persistence';
import { CustomerEventPublisher } from '../customer-event-publisher';
import { WebhookMetrics } from '../webhook.metrics';
import { WebhookIngestConfig } from '../../webhook-ingest.config';

export interface RelayResult {
  published: number;
  failed: number;
  /** Another replica's relay had the turn; nothing was tried. */
  busy: boolean;
}

/** The outbox gauges are refreshed at most this often while the relay is busy (a count per run would cost a query each). */
const BACKLOG_REFRESH_MS = 1000;

function scopeKey(scope: TenantScope): string {
  return `${scope.tenantId}\u0000${scope.environmentId}`;
}

function groupByScope(entries: UnpublishedWebhookEvent[]): { scope: TenantScope; ids: string[] }[] {
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
 * The outbox relay, the one path from the inbox to Kafka: publishes recorded events oldest first, a batch per produce
 * request, and marks them published in the same transaction that locked them. One relay runs at a time (across
 * replicas), so a customer's events reach Kafka in the order their deliveries were answered; a batch Kafka refused
 * stays unpublished and is tried again whole. A publish Kafka wrote but did not acknowledge in time is sent again
 * (at least once): mapping-service applies each Stripe event once.
 */
@Injectable()
export class RelayUnpublishedWebhooks {
  private readonly logger = new Logger(RelayUnpublishedWebhooks.name);
  private backlogRefreshedAt = 0;

  constructor(
    @Inject(WebhookEventStore) private readonly inbox: WebhookEventStore,
    @Inject(CustomerEventPublisher) private readonly publisher: CustomerEventPublisher,
    @Inject(WebhookMetrics) private readonly metrics: WebhookMetrics,
    @Inject(WebhookIngestConfig) private readonly config: WebhookIngestConfig,
  ) {}

  async execute(): Promise<RelayResult> {
    const result = await this.inbox.transaction(async (manager): Promise<RelayResult> => {
      if (!(await this.inbox.takeRelayTurn(manager))) return { published: 0, failed: 0, busy: true };
      const entries = await this.inbox.lockUnpublished(manager, this.config.OUTBOX_RELAY_BATCH_SIZE);
      if (entries.length === 0) return { published: 0, failed: 0, busy: false };
      const groups = groupByScope(entries);
      try {
        // Only verified Stripe events are recorded (ReceiveStripeWebhook), so each payload is one.
        await this.publisher.publish(entries.map((entry) => ({ scope: entry, event: entry.payload as unknown as StripeEventLike })));
      } catch (error) {
        const reason = error instanceof Error ? error.message : String(error);
        for (const group of groups) await this.inbox.markFailed(group.scope, group.ids, reason, manager);
        this.metrics.publishFailures.inc({ via: 'relay' }, entries.length);
        this.logger.warn({ count: entries.length, error: reason }, 'outbox relay could not publish; will retry');
        return { published: 0, failed: entries.length, busy: false };
      }
      for (const group of groups) await this.inbox.markPublished(group.scope, group.ids, manager);
      this.metrics.published.inc({ via: 'relay' }, entries.length);
      this.metrics.relayBatchSize.observe(entries.length);
      for (const group of groups) {
        this.logger.log(
          { tenant_id: group.scope.tenantId, environment_id: group.scope.environmentId, count: group.ids.length },
          'outbox relay published webhooks',
        );
      }
      return { published: entries.length, failed: 0, busy: false };
    });
    if (result.published === 0 || Date.now() - this.backlogRefreshedAt >= BACKLOG_REFRESH_MS) await this.refreshBacklog();
    return result;
  }

  private async refreshBacklog(): Promise<void> {
    const backlog = await this.inbox.backlog();
    this.backlogRefreshedAt = Date.now();
    this.metrics.unpublished.set(backlog.unpublished);
    this.metrics.oldestUnpublishedAge.set(backlog.oldestAgeSeconds);
  }
}
