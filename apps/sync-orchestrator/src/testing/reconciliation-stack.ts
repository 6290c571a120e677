import { randomBytes, randomUUID } from 'node:crypto';
import { DefaultLogger, Runtime } from '@temporalio/worker';
import pino from 'pino';
import { Registry } from 'prom-client';
import { ClickHouseClient, createClickHouseClient, EventsProcessedStore, toClickHouseDateTime } from '@flexsync/clickhouse';
import { EncryptionKeyring, SecretBox } from '@flexsync/crypto';
import { MeterMappingStore } from '@flexsync/persistence';
import { maskSecret } from '@flexsync/stripe-client';
import { RunningStripeEmulator, startStripeEmulator } from '@flexsync/stripe-emulator';
import type { SyncWorkerActivities } from '@flexsync/sync-contracts';
import { createSyncPipeline, type SyncPipelineSettings } from '@flexsync/sync-pipeline';
import { bundleSyncWorkflows, createSyncWorker, type SyncWorkerHandle } from '@flexsync/temporal';
import { stackEnv, type TestTenant } from '@flexsync/testing';
import { RunningOrchestrator, startOrchestrator } from './sync-orchestrator.harness';

export interface ReconciliationStackOptions {
  /** Seconds Stripe's summaries may trail a push before a cell is judged (the worker's setting). */
  ingestionLagSeconds: number;
  /** Milliseconds the emulator's summaries trail an accepted event. */
  emulatorIngestionDelayMs: number;
  stripeTimeoutMs?: number;
  orchestratorEnv?: Record<string, string>;
}

export interface UsageSeed {
  customerId: string;
  meterId: string;
  quantity: string;
  at: Date;
}

/**
 * The real orchestrator (HTTP, Postgres, Temporal) and a sync worker on its task queue running the real pipeline
 * against ClickHouse and an in-process Stripe emulator: the API path of reconciliation end to end. The worker's
 * tenant list is narrowed to the spec's tenants, as the shared database holds every spec's.
 */
export class ReconciliationStack {
  readonly tenants = new Set<string>();
  private running?: { handle: SyncWorkerHandle; done: Promise<void> };

  private constructor(
    readonly orchestrator: RunningOrchestrator,
    readonly emulator: RunningStripeEmulator,
    readonly clickhouse: ClickHouseClient,
    readonly secretBox: SecretBox,
    readonly taskQueue: string,
  ) {}

  static async start(options: ReconciliationStackOptions): Promise<ReconciliationStack> {
    if (!Runtime._instance) Runtime.install({ logger: new DefaultLogger('ERROR') });
    const env = stackEnv();
    const taskQueue = `stripe-sync-reconciliation-${randomUUID()}`;
    const emulator = await startStripeEmulator({ accounts: [], rateLimitPerSecond: 1_000 });
    emulator.configureIngestion({ delayMs: options.emulatorIngestionDelayMs });
    // The test database holds every spec's (and benchmark's) tenants, most with older undelivered windows: the
    // stalest-first label cap must not leave this spec's tenant out of the gauges it asserts.
    const orchestrator = await startOrchestrator({
      TEMPORAL_TASK_QUEUE: taskQueue,
      STRIPE_SYNC_METRICS_MAX_TENANTS: '1000',
      ...options.orchestratorEnv,
    });
    const clickhouse = createClickHouseClient({ url: env.CLICKHOUSE_URL, database: env.CLICKHOUSE_DATABASE });
    const secretBox = new SecretBox(EncryptionKeyring.parse(`k1:${randomBytes(32).toString('base64')}`, 'k1'));
    const stack = new ReconciliationStack(orchestrator, emulator, clickhouse, secretBox, taskQueue);
    const settings: SyncPipelineSettings = {
      stripe: {
        baseUrl: emulator.url,
        timeoutMs: options.stripeTimeoutMs ?? 5_000,
        liveWritesPerSecond: 1_000,
        testWritesPerSecond: 1_000,
      },
      push: {
        pageSize: 1_000,
        concurrency: 16,
        maxAttempts: 4,
        retryBaseMs: 20,
        retryMaxMs: 100,
        dedupeWindowHours: 24,
        rowRetry: { baseMs: 10, maxMs: 50 },
      },
      aggregatePageSize: 1_000,
      circuitCooldownSeconds: 300,
      reconciliation: { ingestionLagSeconds: options.ingestionLagSeconds },
    };
    const pipeline = createSyncPipeline({
      db: orchestrator.dataSource,
      clickhouse,
      secretBox,
      registry: new Registry(),
      logger: pino({ level: 'silent' }),
      settings,
    });
    const activities: SyncWorkerActivities = {
      ...pipeline.activities,
      ListSyncTenantsActivity: async (input) => {
        const page = await pipeline.activities.ListSyncTenantsActivity(input);
        return { ...page, tenants: page.tenants.filter((tenant) => stack.tenants.has(tenant.tenantId)) };
      },
    };
    const handle = await createSyncWorker({
      address: env.TEMPORAL_ADDRESS,
      namespace: env.TEMPORAL_NAMESPACE,
      taskQueue,
      workflowBundle: await bundleSyncWorkflows(),
      activities,
      shutdownGraceTime: '1 second',
    });
    stack.running = { handle, done: handle.worker.run() };
    return stack;
  }

  async close(): Promise<void> {
    for await (const running of this.orchestrator.temporal.workflow.list({
      query: `TaskQueue = "${this.taskQueue}" AND ExecutionStatus = "Running"`,
    })) {
      await this.orchestrator.temporal.workflow
        .getHandle(running.workflowId)
        .terminate('test cleanup')
        .catch(() => undefined);
    }
    if (this.running) {
      this.running.handle.worker.shutdown();
      await this.running.done;
      await this.running.handle.connection.close();
    }
    await this.orchestrator.close();
    await this.clickhouse.close();
    await this.emulator.close();
  }

  /** A tenant as config-service and mapping-service would leave it, with an emulator account of its own. */
  async seedTenant(
    tenant: TestTenant,
    seed: { meters: Record<string, string>; customers: Record<string, string> },
  ): Promise<{ apiKey: string }> {
    this.tenants.add(tenant.tenantId);
    const apiKey = `sk_test_recon${randomBytes(12).toString('hex')}`;
    this.emulator.addAccount({ apiKeys: [apiKey], meters: Object.values(seed.meters).map((eventName) => ({ eventName })) });
    const db = this.orchestrator.dataSource;
    const sealed = this.secretBox.seal(apiKey, { tenantId: tenant.tenantId, environmentId: tenant.environmentId, field: 'api_key' });
    await db.query(
      `INSERT INTO stripe_tenant_configs (tenant_id, environment_id, api_key_ciphertext, api_key_key_id, api_key_masked, sync_enabled)
       VALUES ($1, $2, $3, $4, $5, true)`,
      [tenant.tenantId, tenant.environmentId, sealed.ciphertext, sealed.keyId, maskSecret(apiKey)],
    );
    for (const [meterId, eventName] of Object.entries(seed.meters)) {
      await new MeterMappingStore(db).insert(tenant, {
        meterId,
        providerType: 'stripe',
        providerMeterId: eventName,
        syncEnabled: true,
        valuePrecision: 0,
      });
    }
    for (const [customerId, stripeCustomerId] of Object.entries(seed.customers)) {
      await db.query(
        `INSERT INTO customer_integration_mappings (tenant_id, environment_id, customer_id, provider_type, provider_customer_id, status)
         VALUES ($1, $2, $3, 'stripe', $4, 'mapped')`,
        [tenant.tenantId, tenant.environmentId, customerId, stripeCustomerId],
      );
    }
    return { apiKey };
  }

  async insertUsage(tenant: TestTenant, rows: UsageSeed[]): Promise<void> {
    await new EventsProcessedStore(this.clickhouse).insert(
      rows.map((row) => ({
        tenant_id: tenant.tenantId,
        environment_id: tenant.environmentId,
        event_id: randomUUID(),
        customer_id: row.customerId,
        meter_id: row.meterId,
        event_type: 'increment',
        qty_billable: row.quantity,
        processed_at: toClickHouseDateTime(row.at),
      })),
    );
  }

  /** Waits for a workflow the API started (by its id) to finish, and returns its result. */
  async finished<T = unknown>(workflowId: string): Promise<T> {
    return (await this.orchestrator.temporal.workflow.getHandle(workflowId).result()) as T;
  }
}
