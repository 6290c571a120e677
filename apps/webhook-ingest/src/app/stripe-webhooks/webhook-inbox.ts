import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, EntityManager } from 'typeorm';
import type { StripeEventLike } from '@flexsync/kafka';
import type { TenantScope } from '@flexsync/persistence';

export interface InboxEntry {
  id: string;
  publishedAt: Date | null;
  /** False when the event was already in the inbox (a redelivery). */
  inserted: boolean;
}

export interface UnpublishedEntry extends TenantScope {
  id: string;
  payload: StripeEventLike;
}

const MAX_ERROR_LENGTH = 500;

/**
 * `stripe_webhook_events`: the durable inbox (one row per Stripe `event.id` per tenant+environment) and the Kafka
 * outbox (`published_at` null until Kafka acknowledged the event).
 */
@Injectable()
export class WebhookInbox {
  constructor(@InjectDataSource() private readonly dataSource: DataSource) {}

  async record(scope: TenantScope, event: StripeEventLike): Promise<InboxEntry> {
    const inserted: { id: string }[] = await this.dataSource.query(
      `INSERT INTO stripe_webhook_events (tenant_id, environment_id, stripe_event_id, event_type, livemode, stripe_created, payload)
       VALUES ($1, $2, $3, $4, $5, $6, $7)
       ON CONFLICT (tenant_id, environment_id, stripe_event_id) DO NOTHING
       RETURNING id`,
      [scope.tenantId, scope.environmentId, event.id, event.type, event.livemode ?? false, event.created, JSON.stringify(event)],
    );
    if (inserted.length > 0) return { id: inserted[0].id, publishedAt: null, inserted: true };
    const existing: { id: string; published_at: Date | null }[] = await this.dataSource.query(
      `SELECT id, published_at FROM stripe_webhook_events WHERE tenant_id = $1 AND environment_id = $2 AND stripe_event_id = $3`,
      [scope.tenantId, scope.environmentId, event.id],
    );
    if (existing.length === 0) throw new Error('inbox row vanished between insert and read');
    return { id: existing[0].id, publishedAt: existing[0].published_at, inserted: false };
  }

  /**
   * Whether this Stripe event id was already recorded for another tenant or environment. Existence only, across
   * tenants on purpose: it is how a replay of a delivery signed with the shared global secret is recognised.
   */
  async recordedForAnotherScope(scope: TenantScope, stripeEventId: string): Promise<boolean> {
    const rows: unknown[] = await this.dataSource.query(
      `SELECT 1 FROM stripe_webhook_events
        WHERE stripe_event_id = $3 AND NOT (tenant_id = $1 AND environment_id = $2)
        LIMIT 1`,
      [scope.tenantId, scope.environmentId, stripeEventId],
    );
    return rows.length > 0;
  }

  async markPublished(scope: TenantScope, ids: string[], manager: EntityManager = this.dataSource.manager): Promise<void> {
    if (ids.length === 0) return;
    await manager.query(
      `UPDATE stripe_webhook_events
       SET published_at = now(), publish_attempts = publish_attempts + 1, last_publish_error = NULL, updated_at = now()
       WHERE tenant_id = $1 AND environment_id = $2 AND id = ANY($3::uuid[]) AND published_at IS NULL`,
      [scope.tenantId, scope.environmentId, ids],
    );
  }

  /** Records a failed attempt. Rows another transaction holds (the relay, mid-attempt) are skipped: it records its own. */
  async markFailed(scope: TenantScope, ids: string[], error: string, manager: EntityManager = this.dataSource.manager): Promise<void> {
    if (ids.length === 0) return;
    await manager.query(
      `UPDATE stripe_webhook_events
       SET publish_attempts = publish_attempts + 1, last_publish_error = $4, updated_at = now()
       WHERE id IN (
         SELECT id FROM stripe_webhook_events
         WHERE tenant_id = $1 AND environment_id = $2 AND id = ANY($3::uuid[]) AND published_at IS NULL
         FOR UPDATE SKIP LOCKED
       )`,
      [scope.tenantId, scope.environmentId, ids, error.slice(0, MAX_ERROR_LENGTH)],
    );
  }

  /**
   * Locks up to `limit` unpublished events older than `minAgeMs`, oldest first, for the caller's transaction.
   * The relay works for every tenant, so this is the one query not scoped to a tenant; the updates that follow are.
   * SKIP LOCKED lets several replicas relay at once without publishing the same rows.
   */
  async lockUnpublished(manager: EntityManager, limit: number, minAgeMs: number): Promise<UnpublishedEntry[]> {
    const rows: { id: string; tenant_id: string; environment_id: string; payload: StripeEventLike }[] = await manager.query(
      `SELECT id, tenant_id, environment_id, payload
       FROM stripe_webhook_events
       WHERE published_at IS NULL AND received_at < now() - make_interval(secs => $2::double precision / 1000)
       ORDER BY received_at, stripe_created
       LIMIT $1
       FOR UPDATE SKIP LOCKED`,
      [limit, minAgeMs],
    );
    return rows.map((row) => ({ id: row.id, tenantId: row.tenant_id, environmentId: row.environment_id, payload: row.payload }));
  }

  /**
   * Nulls the payload of up to `limit` events published more than `retentionSeconds` ago. Across tenants on purpose
   * (retention is one policy); the row and event id stay for dedupe. Returns how many were purged.
   */
  async purgePayloads(retentionSeconds: number, limit: number): Promise<number> {
    const purged: { id: string }[] = await this.dataSource.query(
      `UPDATE stripe_webhook_events
          SET payload = NULL, payload_purged_at = now(), last_publish_error = NULL, updated_at = now()
        WHERE id IN (
          SELECT id FROM stripe_webhook_events
           WHERE payload IS NOT NULL AND published_at IS NOT NULL
             AND published_at < now() - make_interval(secs => $1::double precision)
           LIMIT $2
           FOR UPDATE SKIP LOCKED)
        RETURNING id`,
      [retentionSeconds, limit],
    );
    return purged.length;
  }

  async countUnpublished(): Promise<number> {
    const rows: { n: number }[] = await this.dataSource.query(
      `SELECT count(*)::int AS n FROM stripe_webhook_events WHERE published_at IS NULL`,
    );
    return rows[0]?.n ?? 0;
  }

  transaction<T>(work: (manager: EntityManager) => Promise<T>): Promise<T> {
    return this.dataSource.transaction(work);
  }
}
