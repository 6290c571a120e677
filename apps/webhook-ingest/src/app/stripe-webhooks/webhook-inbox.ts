import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, EntityManager } from 'typeorm';
import type { StripeEventLike } from '@flexsync/kafka';
import type { TenantScope } from '@flexsync/persistence';

export interface UnpublishedEntry extends TenantScope {
  id: string;
  payload: StripeEventLike;
}

export interface OutboxBacklog {
  unpublished: number;
  /** Seconds since the oldest unpublished event was received; 0 when there is none. */
  oldestAgeSeconds: number;
}

const MAX_ERROR_LENGTH = 500;

/** One relay at a time across replicas, so events leave the outbox in the order they were recorded. */
const RELAY_LOCK_KEY = 'stripe_webhook_events.outbox_relay';

/**
 * `stripe_webhook_events`: the durable inbox (one row per Stripe `event.id` per tenant+environment) and the Kafka
 * outbox (`published_at` null until the relay had Kafka acknowledge the event).
 */
@Injectable()
export class WebhookInbox {
  constructor(@InjectDataSource() private readonly dataSource: DataSource) {}

  /**
   * Records events once each, in one statement (one round trip, one commit) and in the given order: `received_at` is
   * the clock at each row, so the relay publishes them in that order. Returns the indexes of the events that were new;
   * the others were already in the inbox (redeliveries), or repeat an earlier event of the same call.
   */
  async recordMany(events: { scope: TenantScope; event: StripeEventLike }[]): Promise<Set<number>> {
    if (events.length === 0) return new Set();
    const inserted: { tenant_id: string; environment_id: string; stripe_event_id: string }[] = await this.dataSource.query(
      `INSERT INTO stripe_webhook_events (tenant_id, environment_id, stripe_event_id, event_type, livemode, stripe_created, payload, received_at)
       SELECT tenant_id, environment_id, stripe_event_id, event_type, livemode, stripe_created, payload::jsonb, clock_timestamp()
         FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::boolean[], $6::bigint[], $7::text[])
              WITH ORDINALITY AS e(tenant_id, environment_id, stripe_event_id, event_type, livemode, stripe_created, payload, n)
        ORDER BY n
       ON CONFLICT (tenant_id, environment_id, stripe_event_id) DO NOTHING
       RETURNING tenant_id, environment_id, stripe_event_id`,
      [
        events.map(({ scope }) => scope.tenantId),
        events.map(({ scope }) => scope.environmentId),
        events.map(({ event }) => event.id),
        events.map(({ event }) => event.type),
        events.map(({ event }) => event.livemode ?? false),
        events.map(({ event }) => event.created),
        events.map(({ event }) => JSON.stringify(event)),
      ],
    );
    const key = (tenantId: string, environmentId: string, eventId: string): string => `${tenantId}\u0000${environmentId}\u0000${eventId}`;
    const remaining = new Set(inserted.map((row) => key(row.tenant_id, row.environment_id, row.stripe_event_id)));
    const indexes = new Set<number>();
    events.forEach(({ scope, event }, index) => {
      if (remaining.delete(key(scope.tenantId, scope.environmentId, event.id))) indexes.add(index);
    });
    return indexes;
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

  async markPublished(scope: TenantScope, ids: string[], manager: EntityManager): Promise<void> {
    if (ids.length === 0) return;
    await manager.query(
      `UPDATE stripe_webhook_events
       SET published_at = now(), publish_attempts = publish_attempts + 1, last_publish_error = NULL, updated_at = now()
       WHERE tenant_id = $1 AND environment_id = $2 AND id = ANY($3::uuid[]) AND published_at IS NULL`,
      [scope.tenantId, scope.environmentId, ids],
    );
  }

  /** Records a failed attempt on rows the caller's transaction locked (rows another transaction holds are skipped). */
  async markFailed(scope: TenantScope, ids: string[], error: string, manager: EntityManager): Promise<void> {
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
   * Takes the relay's turn for the caller's transaction; false while another replica's relay holds it. A single relay
   * publishing oldest first is what keeps a customer's events in the order Stripe's deliveries were answered.
   */
  async takeRelayTurn(manager: EntityManager): Promise<boolean> {
    const rows: { taken: boolean }[] = await manager.query(`SELECT pg_try_advisory_xact_lock(hashtext($1)) AS taken`, [RELAY_LOCK_KEY]);
    return rows[0]?.taken === true;
  }

  /**
   * Locks up to `limit` unpublished events, oldest first, for the caller's transaction.
   * The relay works for every tenant, so this is the one query not scoped to a tenant; the updates that follow are.
   */
  async lockUnpublished(manager: EntityManager, limit: number): Promise<UnpublishedEntry[]> {
    const rows: { id: string; tenant_id: string; environment_id: string; payload: StripeEventLike }[] = await manager.query(
      `SELECT id, tenant_id, environment_id, payload
       FROM stripe_webhook_events
       WHERE published_at IS NULL
       ORDER BY received_at, stripe_created
       LIMIT $1
       FOR UPDATE SKIP LOCKED`,
      [limit],
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

  /** The outbox's depth and age, across tenants (one figure for the service); served by the partial index. */
  async backlog(): Promise<OutboxBacklog> {
    const rows: { n: number; age: number | null }[] = await this.dataSource.query(
      `SELECT count(*)::int AS n, extract(epoch FROM now() - min(received_at))::float8 AS age
         FROM stripe_webhook_events WHERE published_at IS NULL`,
    );
    return { unpublished: rows[0]?.n ?? 0, oldestAgeSeconds: Math.max(0, rows[0]?.age ?? 0) };
  }

  transaction<T>(work: (manager: EntityManager) => Promise<T>): Promise<T> {
    return this.dataSource.transaction(work);
  }
}
