import { randomUUID } from 'node:crypto';
import type { Client } from '@temporalio/client';
import { createClickHouseClient, ClickHouseClient, EventsProcessedStore, toClickHouseDateTime } from '@flexsync/clickhouse';
import { STRIPE_EVENT_SYNC_WORKFLOW, StripeEventSyncInput, StripeEventSyncResult } from '@flexsync/sync-contracts';
import { AggregateEventsActivity, bindSyncActivities } from '@flexsync/sync-pipeline';
import { bundleSyncWorkflows, connectTemporalClient, createSyncWorker } from '@flexsync/temporal';
import { stackEnv, uniqueTenant } from '@flexsync/testing';

describe('StripeEventSyncWorkflow on the real Temporal server', () => {
  const env = stackEnv();
  let clickhouse: ClickHouseClient;
  let client: Client;

  beforeAll(async () => {
    clickhouse = createClickHouseClient({ url: env.CLICKHOUSE_URL, database: env.CLICKHOUSE_DATABASE });
    client = await connectTemporalClient({ address: env.TEMPORAL_ADDRESS, namespace: env.TEMPORAL_NAMESPACE });
  });

  afterAll(async () => {
    await clickhouse.close();
    await client.connection.close();
  });

  it('aggregates each half-open hourly window of the requested range in ClickHouse', async () => {
    const tenant = uniqueTenant('wf');
    const store = new EventsProcessedStore(clickhouse);
    const row = (qty: string, at: string) => ({
      tenant_id: tenant.tenantId,
      environment_id: tenant.environmentId,
      customer_id: 'client_123',
      meter_id: 'meter_storage',
      event_type: 'increment',
      qty_billable: qty,
      processed_at: toClickHouseDateTime(new Date(at)),
    });
    await store.insert([row('40', '2025-06-21T04:10:00Z'), row('2', '2025-06-21T04:59:59Z'), row('8', '2025-06-21T05:00:00Z')]);

    const taskQueue = `stripe-sync-test-${randomUUID()}`;
    const { worker, connection } = await createSyncWorker({
      address: env.TEMPORAL_ADDRESS,
      namespace: env.TEMPORAL_NAMESPACE,
      taskQueue,
      workflowBundle: await bundleSyncWorkflows(),
      activities: bindSyncActivities(new AggregateEventsActivity(store)),
    });
    const input: StripeEventSyncInput = {
      ...tenant,
      timeFrom: '2025-06-21T04:20:00Z',
      timeTo: '2025-06-21T06:00:00Z',
      windowMinutes: 60,
      forceRerun: false,
      trigger: 'manual',
    };
    try {
      const result = await worker.runUntil(
        client.workflow.execute<(i: StripeEventSyncInput) => Promise<StripeEventSyncResult>>(STRIPE_EVENT_SYNC_WORKFLOW, {
          taskQueue,
          workflowId: `test-sync-${randomUUID()}`,
          args: [input],
        }),
      );
      expect(result.windows).toEqual([
        {
          window: { start: '2025-06-21T04:00:00.000Z', end: '2025-06-21T05:00:00.000Z' },
          aggregateCount: 1,
          eventCount: 2,
          totalQuantity: '42',
        },
        {
          window: { start: '2025-06-21T05:00:00.000Z', end: '2025-06-21T06:00:00.000Z' },
          aggregateCount: 1,
          eventCount: 1,
          totalQuantity: '8',
        },
      ]);
    } finally {
      await connection.close();
    }
  });
});
