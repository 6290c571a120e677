import { In, IsNull, type DataSource, type EntityManager } from 'typeorm';
import type { TenantScope } from '../entities/tenant-scoped';
import { StripeWebhookEvent } from './stripe-webhook-event.entity';

/** A verified Stripe event to record: its identity, the columns the relay and dedupe read, and the event as received. */
export interface WebhookEventRecord {
  scope: TenantScope;
  stripeEventId: string;
  eventType: string;
  livemode: boolean;
  stripeCreated: number;
  /** The event's JSON text as Stripe sent it (stored as jsonb). */
  payload: string;
}

export interface UnpublishedWebhookEvent extends TenantScope {
  id: string;
  payload: Record<string, unknown>;
}

export interface WebhookOutboxBacklog {
  unpublished: number;
  /** Seconds since the oldest unpublished event was received; 0 when there is none. */
  oldestAgeSeconds: number;
}

const MAX_ERROR_LENGTH = 500;

/** One relay at a time across replicas, so events leave the outbox in the order they were recorded. */
const RELAY_LOCK_KEY = 'stripe_webhook_events.outbox_relay';

/**
 * `stripe_webhook_events`: the durable inbox (one row per Stripe `event.id` per tenant+environment) and the Kafka
 * outbox (`published_at` null until the relay had Kafka acknowledge the event). Every access to the table goes through
 * here, by TypeORM's query builder; three statements are SQL text, each saying why (one round trip where the builder
 * would need several or cannot express the statement).
 */
export class WebhookEventStore {
  constructor(private readonly db: DataSource) {}

  /**
   * Records events once each, in one statement (one round trip, one commit) and in the given order: `received_at` is
   * the clock at each row, so the relay publishes them in that order. Returns the indexes of the events that were new;
   * the others were already in the inbox (redeliveries), or repeat an earlier event of the same call.
   *
   * SQL text: the rows travel as seven array parameters through `unnest … WITH ORDINALITY`, so the statement is the
   * same text for any batch size (Postgres plans it once per connection, the driver sends 7 values, not 7 × n) and the
   * rows are inserted in the callers' order; this is the webhook hot path, written once per group commit.
   */
  async recordMany(events: readonly WebhookEventRecord[]): Promise<Set<number>> {
    if (events.length === 0) return new Set();
    const inserted: { tenant_id: string; environment_id: string; stripe_event_id: string }[] = await this.db.query(
      `INSERT INTO stripe_webhook_events (tenant_id, environment_id, stripe_event_id, event_type, livemode, stripe_created, payload, received_at)
       SELECT tenant_id, environment_id, stripe_event_id, event_type, livemode, stripe_created, payload::jsonb, clock_timestamp()
         FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::boolean[], $6::bigint[], $7::text[])
              WITH ORDINALITY AS e(tenant_id, environment_id, stripe_event_id, event_type, livemode, stripe_created, payload, n)
        ORDER BY n
       ON CONFLICT (tenant_id, environment_id, stripe_event_id) DO NOTHING
       RETURNING tenant_id, environment_id, stripe_event_id`,
      [
        events.map((event) => event.scope.tenantId),
        events.map((event) => event.scope.environmentId),
        events.map((event) => event.stripeEventId),
        events.map((event) => event.eventType),
        events.map((event) => event.livemode),
        events.map((event) => event.stripeCreated),
        events.map((event) => event.payload),
      ],
    );
    const key = (tenantId: string, environmentId: string, eventId: string): string => `${tenantId}\u0000${environmentId}\u0000${eventId}`;
    const remaining = new Set(inserted.map((row) => key(row.tenant_id, row.environment_id, row.stripe_event_id)));
    const indexes = new Set<number>();
    events.forEach((event, index) => {
      if (remaining.delete(key(event.scope.tenantId, event.scope.environmentId, event.stripeEventId))) indexes.add(index);
    });
    return indexes;
  }

  /**
   * Whether this Stripe event id was already recorded for another tenant or environment. Existence only, across
   * tenants on purpose: it is how a replay of a delivery signed with the shared global secret is recognised.
   */
  recordedForAnotherScope(scope: TenantScope, stripeEventId: string): Promise<boolean> {
    return this.repository()
      .createQueryBuilder('event')
      .where('event.stripeEventId = :stripeEventId', { stripeEventId })
      .andWhere('NOT (event.tenantId = :tenantId AND event.environmentId = :environmentId)', scope)
      .getExists();
  }

  async markPublished(scope: TenantScope, ids: readonly string[], manager: EntityManager): Promise<void> {
    if (ids.length === 0) return;
    await this.repository(manager).update(
      { tenantId: scope.tenantId, environmentId: scope.environmentId, id: In([...ids]), publishedAt: IsNull() },
      { publishedAt: () => 'now()', publishAttempts: () => 'publish_attempts + 1', lastPublishError: null },
    );
  }

  /** Records a failed attempt on rows the caller's transaction locked ({@link lockUnpublished}). */
  async markFailed(scope: TenantScope, ids: readonly string[], error: string, manager: EntityManager): Promise<void> {
    if (ids.length === 0) return;
    await this.repository(manager).update(
      { tenantId: scope.tenantId, environmentId: scope.environmentId, id: In([...ids]), publishedAt: IsNull() },
      { publishAttempts: () => 'publish_attempts + 1', lastPublishError: error.slice(0, MAX_ERROR_LENGTH) },
    );
  }

  /**
   * Takes the relay's turn for the caller's transaction; false while another replica's relay holds it. A single relay
   * publishing oldest first is what keeps a customer's events in the order Stripe's deliveries were answered.
   *
   * SQL text: a transaction-scoped advisory lock has no TypeORM form.
   */
  async takeRelayTurn(manager: EntityManager): Promise<boolean> {
    const rows: { taken: boolean }[] = await manager.query(`SELECT pg_try_advisory_xact_lock(hashtext($1)) AS taken`, [RELAY_LOCK_KEY]);
    return rows[0]?.taken === true;
  }

  /**
   * Locks up to `limit` unpublished events, oldest first, for the caller's transaction.
   * The relay works for every tenant, so this is the one query not scoped to a tenant; the updates that follow are.
   */
  async lockUnpublished(manager: EntityManager, limit: number): Promise<UnpublishedWebhookEvent[]> {
    const rows = await this.repository(manager)
      .createQueryBuilder('event')
      .select(['event.id', 'event.tenantId', 'event.environmentId', 'event.payload'])
      .where('event.publishedAt IS NULL')
      .orderBy('event.receivedAt')
      .addOrderBy('event.stripeCreated')
      .limit(limit)
      .setLock('pessimistic_write')
      .setOnLocked('skip_locked')
      .getMany();
    return rows.map((row) => ({ id: row.id, tenantId: row.tenantId, environmentId: row.environmentId, payload: row.payload ?? {} }));
  }

  /**
   * Nulls the payload of up to `limit` events published more than `retentionSeconds` ago. Across tenants on purpose
   * (retention is one policy); the row and event id stay for dedupe. Returns how many were purged.
   *
   * SQL text: a bounded UPDATE that skips the rows the relay holds, in one statement (TypeORM's UPDATE has no LIMIT).
   * TypeORM answers an UPDATE with `[rows, affected]`; the count is the second.
   */
  async purgePayloads(retentionSeconds: number, limit: number): Promise<number> {
    const [, purged]: [unknown[], number] = await this.db.query(
      `UPDATE stripe_webhook_events
          SET payload = NULL, payload_purged_at = now(), last_publish_error = NULL, updated_at = now()
        WHERE id IN (
          SELECT id FROM stripe_webhook_events
           WHERE payload IS NOT NULL AND published_at IS NOT NULL
             AND published_at < now() - make_interval(secs => $1::double precision)
           LIMIT $2
           FOR UPDATE SKIP LOCKED)`,
      [retentionSeconds, limit],
    );
    return purged;
  }

  /** The outbox's depth and age, across tenants (one figure for the service); served by the partial index. */
  async backlog(): Promise<WebhookOutboxBacklog> {
    const row = await this.repository()
      .createQueryBuilder('event')
      .select('count(*)::int', 'n')
      .addSelect('extract(epoch FROM now() - min(event.receivedAt))::float8', 'age')
      .where('event.publishedAt IS NULL')
      .getRawOne<{ n: number; age: number | null }>();
    return { unpublished: row?.n ?? 0, oldestAgeSeconds: Math.max(0, row?.age ?? 0) };
  }

  transaction<T>(work: (manager: EntityManager) => Promise<T>): Promise<T> {
    return this.db.transaction(work);
  }

  private repository(manager?: EntityManager) {
    return (manager ?? this.db.manager).getRepository(StripeWebhookEvent);
  }
}
