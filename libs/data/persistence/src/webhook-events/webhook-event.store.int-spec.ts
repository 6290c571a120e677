import { DataSource } from 'typeorm';
import { stackEnv, uniqueTenant, type TestTenant } from '@flexsync/testing';
import { dataSourceOptions } from '../data-source';
import { WebhookEventStore, type WebhookEventRecord } from './webhook-event.store';

/** Tenants of this spec; their events are marked published at the end, so no service's outbox relay picks them up. */
const scopes: TestTenant[] = [];

function tenant(label: string): TestTenant {
  const scope = uniqueTenant(label);
  scopes.push(scope);
  return scope;
}

function record(scope: TestTenant, stripeEventId: string): WebhookEventRecord {
  const event = { id: stripeEventId, type: 'customer.created', created: 1_764_000_000, data: { object: { id: 'cus_1' } } };
  return { scope, stripeEventId, eventType: event.type, livemode: false, stripeCreated: event.created, payload: JSON.stringify(event, null, 2) };
}

describe('WebhookEventStore (real Postgres)', () => {
  let dataSource: DataSource;
  let store: WebhookEventStore;

  beforeAll(async () => {
    dataSource = await new DataSource(dataSourceOptions(stackEnv().DATABASE_URL)).initialize();
    store = new WebhookEventStore(dataSource);
  });

  afterAll(async () => {
    await dataSource?.query(`UPDATE stripe_webhook_events SET published_at = now() WHERE tenant_id = ANY($1::text[]) AND published_at IS NULL`, [
      scopes.map((scope) => scope.tenantId),
    ]);
    await dataSource?.destroy();
  });

  it('records each event once, in the given order, and tells which were new', async () => {
    const scope = tenant('store_inbox');
    const first = await store.recordMany([record(scope, 'evt_a'), record(scope, 'evt_b'), record(scope, 'evt_a')]);
    const again = await store.recordMany([record(scope, 'evt_b'), record(scope, 'evt_c')]);
    expect([...first]).toEqual([0, 1]);
    expect([...again]).toEqual([1]);
    const rows: { stripe_event_id: string; payload: { id: string } }[] = await dataSource.query(
      `SELECT stripe_event_id, payload FROM stripe_webhook_events WHERE tenant_id = $1 AND environment_id = $2 ORDER BY received_at`,
      [scope.tenantId, scope.environmentId],
    );
    expect(rows.map((row) => [row.stripe_event_id, row.payload.id])).toEqual([
      ['evt_a', 'evt_a'],
      ['evt_b', 'evt_b'],
      ['evt_c', 'evt_c'],
    ]);
  });

  it('knows an event id recorded for another tenant, and not one recorded only for this one', async () => {
    const scope = tenant('store_replay');
    const other = tenant('store_replay_other');
    const eventId = `evt_replay_${scope.tenantId}`;
    await store.recordMany([record(scope, eventId)]);
    expect(await store.recordedForAnotherScope(scope, eventId)).toBe(false);
    expect(await store.recordedForAnotherScope(other, eventId)).toBe(true);
  });

  it('locks unpublished events oldest first and marks them published or failed within their tenant', async () => {
    const scope = tenant('store_outbox');
    await store.recordMany([record(scope, 'evt_1'), record(scope, 'evt_2')]);
    await store.transaction(async (manager) => {
      const mine = (await store.lockUnpublished(manager, 10_000)).filter((entry) => entry.tenantId === scope.tenantId);
      expect(mine.map((entry) => entry.payload.id)).toEqual(['evt_1', 'evt_2']);
      await store.markFailed(scope, [mine[0].id], 'broker down', manager);
      await store.markPublished(uniqueTenant('store_outbox_other'), [mine[1].id], manager);
      await store.markPublished(scope, [mine[1].id], manager);
    });
    const rows: { stripe_event_id: string; published: boolean; publish_attempts: number; last_publish_error: string | null }[] =
      await dataSource.query(
        `SELECT stripe_event_id, published_at IS NOT NULL AS published, publish_attempts, last_publish_error
           FROM stripe_webhook_events WHERE tenant_id = $1 AND environment_id = $2 ORDER BY stripe_event_id`,
        [scope.tenantId, scope.environmentId],
      );
    expect(rows).toEqual([
      { stripe_event_id: 'evt_1', published: false, publish_attempts: 1, last_publish_error: 'broker down' },
      { stripe_event_id: 'evt_2', published: true, publish_attempts: 1, last_publish_error: null },
    ]);
  });

  it('reports how many payloads it purged: none when nothing is past the retention, else exactly those', async () => {
    const tenYears = 10 * 365 * 24 * 3600;
    expect(await store.purgePayloads(tenYears, 1000)).toBe(0);

    // Other specs' events published long ago go first, so the count below is this spec's own.
    while ((await store.purgePayloads(3600, 10_000)) > 0);
    const scope = tenant('store_purge');
    await store.recordMany([record(scope, 'evt_old1'), record(scope, 'evt_old2'), record(scope, 'evt_new')]);
    await dataSource.query(
      `UPDATE stripe_webhook_events SET published_at = now() - interval '2 hours'
        WHERE tenant_id = $1 AND environment_id = $2 AND stripe_event_id LIKE 'evt_old%'`,
      [scope.tenantId, scope.environmentId],
    );
    expect(await store.purgePayloads(3600, 10_000)).toBe(2);
    const rows: { stripe_event_id: string; purged: boolean }[] = await dataSource.query(
      `SELECT stripe_event_id, payload IS NULL AS purged FROM stripe_webhook_events
        WHERE tenant_id = $1 AND environment_id = $2 ORDER BY stripe_event_id`,
      [scope.tenantId, scope.environmentId],
    );
    expect(rows).toEqual([
      { stripe_event_id: 'evt_new', purged: false },
      { stripe_event_id: 'evt_old1', purged: true },
      { stripe_event_id: 'evt_old2', purged: true },
    ]);
  });

  it('reports the outbox depth and the age of its oldest event', async () => {
    const scope = tenant('store_backlog');
    const before = await store.backlog();
    await store.recordMany([record(scope, 'evt_waiting')]);
    await dataSource.query(
      `UPDATE stripe_webhook_events SET received_at = now() - interval '1 day' WHERE tenant_id = $1 AND environment_id = $2`,
      [scope.tenantId, scope.environmentId],
    );
    const backlog = await store.backlog();
    expect(backlog.unpublished).toBe(before.unpublished + 1);
    expect(backlog.oldestAgeSeconds).toBeGreaterThanOrEqual(86_400);
  });
});
