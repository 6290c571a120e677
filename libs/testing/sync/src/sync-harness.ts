import { randomBytes, randomUUID } from 'node:crypto';
import { Writable } from 'node:stream';
import type { Client } from '@temporalio/client';
import type { Duration } from '@temporalio/common';
import { DefaultLogger, Runtime, type WorkflowBundleWithSourceMap } from '@temporalio/worker';
import pino from 'pino';
import { Registry } from 'prom-client';
import { DataSource } from 'typeorm';
import { ClickHouseClient, createClickHouseClient, EventsProcessedStore, toClickHouseDateTime } from '@flexsync/clickhouse';
import { EncryptionKeyring, SecretBox } from '@flexsync/crypto';
import { CircuitBreakerStore, dataSourceOptions, MeterMappingStore, SyncStatus, TenantScope } from '@flexsync/persistence';
import { maskSecret } from '@flexsync/stripe-client';
import { STRIPE_EVENT_SYNC_WORKFLOW, StripeEventSyncInput, StripeEventSyncResult, SyncWorkerActivities } from '@flexsync/sync-contracts';
import { createSyncPipeline, SyncPipeline, SyncPipelineSettings } from '@flexsync/sync-pipeline';
import { bundleSyncWorkflows, connectTemporalClient, createSyncWorker } from '@flexsync/temporal';
import { RunningStripeEmulator, startStripeEmulator } from '@flexsync/stripe-emulator';
import { stackEnv } from '@flexsync/testing';

/** Where the stack's servers are (`stackEnv()` in specs). */
export interface HarnessEnv {
  DATABASE_URL: string;
  CLICKHOUSE_URL: string;
  CLICKHOUSE_DATABASE: string;
  TEMPORAL_ADDRESS: string;
  TEMPORAL_NAMESPACE: string;
}

export interface MeterSeed {
  meterId: string;
  eventName: string;
  precision?: number;
  syncEnabled?: boolean;
}

export interface CustomerSeed {
  customerId: string;
  stripeCustomerId: string;
  status?: 'mapped' | 'unmatched' | 'deleted';
}

export interface UsageRow {
  customerId: string;
  meterId: string;
  quantity: string;
  at: Date;
  eventType?: string;
}

/** A ledger row as the specs read it back. */
export interface LedgerRow {
  id: string;
  customerId: string;
  meterId: string;
  eventType: string;
  windowStart: Date;
  revision: number;
  identifier: string;
  payloadHash: string;
  aggregatedQuantity: string;
  sentValue: string | null;
  eventName: string | null;
  providerCustomerId: string | null;
  stripeEventId: string | null;
  syncStatus: SyncStatus;
  errorMessage: string | null;
  attemptCount: number;
  workflowId: string | null;
  runId: string | null;
}

// The hour helpers live with the other test helpers; the harness keeps offering them to its specs and benches.
export { HOUR_MS, hourAgo } from '@flexsync/testing';

export function defaultPipelineSettings(stripeBaseUrl: string): SyncPipelineSettings {
  return {
    stripe: { baseUrl: stripeBaseUrl, timeoutMs: 5_000, liveWritesPerSecond: 1_000, testWritesPerSecond: 1_000 },
    push: { pageSize: 1_000, concurrency: 16, maxAttempts: 4, retryBaseMs: 20, retryMaxMs: 100, dedupeWindowHours: 24 },
    aggregatePageSize: 1_000,
    circuitCooldownSeconds: 300,
  };
}

/**
 * Real Postgres, ClickHouse and Temporal for the sync pipeline's specs: seeds a tenant the way config-service and
 * mapping-service would (the API key sealed with a test keyring), inserts usage, and runs `StripeEventSyncWorkflow`
 * on a task queue of its own. Log lines are kept in memory so specs can check that no secret is ever printed.
 */
export class SyncHarness {
  readonly logs: string[] = [];
  readonly logger: pino.Logger;
  /** How long `runSync`/`runWorkflow` let a workflow run; benchmarks pushing 100,000 aggregates raise it. */
  workflowExecutionTimeout: Duration = '2 minutes';

  private constructor(
    readonly env: HarnessEnv,
    readonly stripeBaseUrl: string,
    readonly db: DataSource,
    readonly clickhouse: ClickHouseClient,
    readonly temporal: Client,
    readonly secretBox: SecretBox,
    private readonly bundle: WorkflowBundleWithSourceMap,
  ) {
    const sink = new Writable({
      write: (chunk: Buffer, _encoding, done) => {
        this.logs.push(chunk.toString('utf8'));
        done();
      },
    });
    this.logger = pino({ level: 'debug' }, sink);
  }

  /** `keyring` as in `FLEXSYNC_ENCRYPTION_KEYS`/`_CURRENT_KEY_ID`, to seal keys a worker started from env can open. */
  static async start(env: HarnessEnv, stripeBaseUrl: string, keyring = testKeyring()): Promise<SyncHarness> {
    // The SDK's own INFO lines (worker state changes) would drown the specs' output; failures still show.
    if (!Runtime._instance) Runtime.install({ logger: new DefaultLogger('ERROR') });
    const db = await new DataSource({ ...dataSourceOptions(env.DATABASE_URL), extra: { max: 10 } }).initialize();
    const clickhouse = createClickHouseClient({ url: env.CLICKHOUSE_URL, database: env.CLICKHOUSE_DATABASE });
    const temporal = await connectTemporalClient({ address: env.TEMPORAL_ADDRESS, namespace: env.TEMPORAL_NAMESPACE });
    const secretBox = new SecretBox(EncryptionKeyring.parse(keyring.keys, keyring.currentKeyId));
    return new SyncHarness(env, stripeBaseUrl, db, clickhouse, temporal, secretBox, await bundleSyncWorkflows());
  }

  async close(): Promise<void> {
    await this.temporal.connection.close();
    await this.clickhouse.close();
    await this.db.destroy();
  }

  /** A pipeline over the harness' connections, with its own metrics registry. */
  pipeline(
    overrides: (settings: SyncPipelineSettings) => SyncPipelineSettings = (settings) => settings,
  ): SyncPipeline & { registry: Registry } {
    const registry = new Registry();
    const pipeline = createSyncPipeline({
      db: this.db,
      clickhouse: this.clickhouse,
      secretBox: this.secretBox,
      registry,
      logger: this.logger,
      settings: overrides(defaultPipelineSettings(this.stripeBaseUrl)),
    });
    return { ...pipeline, registry };
  }

  /** Seeds the tenant's Stripe config (sealed key), meter mappings and customer mappings. */
  async seedTenant(
    tenant: TenantScope,
    seed: {
      apiKey: string;
      meters?: MeterSeed[];
      customers?: CustomerSeed[];
      /** The account a connection test would have stored (`acct_…`); keys the shared rate budget. */
      stripeAccountId?: string;
    },
  ): Promise<void> {
    const sealed = this.secretBox.seal(seed.apiKey, { tenantId: tenant.tenantId, environmentId: tenant.environmentId, field: 'api_key' });
    await this.db.query(
      `INSERT INTO stripe_tenant_configs (tenant_id, environment_id, api_key_ciphertext, api_key_key_id, api_key_masked, sync_enabled,
                                          stripe_account_id)
       VALUES ($1, $2, $3, $4, $5, true, $6)
       ON CONFLICT (tenant_id, environment_id) DO UPDATE
         SET api_key_ciphertext = EXCLUDED.api_key_ciphertext, api_key_key_id = EXCLUDED.api_key_key_id, api_key_masked = EXCLUDED.api_key_masked,
             stripe_account_id = EXCLUDED.stripe_account_id`,
      [tenant.tenantId, tenant.environmentId, sealed.ciphertext, sealed.keyId, maskSecret(seed.apiKey), seed.stripeAccountId ?? null],
    );
    for (const meter of seed.meters ?? []) await this.addMeterMapping(tenant, meter);
    for (const customer of seed.customers ?? []) await this.addCustomerMapping(tenant, customer);
  }

  async addMeterMapping(tenant: TenantScope, meter: MeterSeed): Promise<void> {
    await new MeterMappingStore(this.db).insert(tenant, {
      meterId: meter.meterId,
      providerType: 'stripe',
      providerMeterId: meter.eventName,
      syncEnabled: meter.syncEnabled ?? true,
      valuePrecision: meter.precision ?? 0,
    });
  }

  async addCustomerMapping(tenant: TenantScope, customer: CustomerSeed): Promise<void> {
    await this.db.query(
      `INSERT INTO customer_integration_mappings (tenant_id, environment_id, customer_id, provider_type, provider_customer_id, status)
       VALUES ($1, $2, $3, 'stripe', $4, $5)`,
      [tenant.tenantId, tenant.environmentId, customer.customerId, customer.stripeCustomerId, customer.status ?? 'mapped'],
    );
  }

  async insertUsage(tenant: TenantScope, rows: UsageRow[]): Promise<void> {
    await new EventsProcessedStore(this.clickhouse).insert(
      rows.map((row) => ({
        tenant_id: tenant.tenantId,
        environment_id: tenant.environmentId,
        event_id: randomUUID(),
        customer_id: row.customerId,
        meter_id: row.meterId,
        event_type: row.eventType ?? 'increment',
        qty_billable: row.quantity,
        processed_at: toClickHouseDateTime(row.at),
      })),
    );
  }

  /** Runs `StripeEventSyncWorkflow` to completion on a fresh worker and task queue; `activities` replaces the pipeline's. */
  async runSync(
    input: Partial<StripeEventSyncInput> & Pick<StripeEventSyncInput, 'tenantId' | 'environmentId' | 'timeFrom' | 'timeTo'>,
    activities: SyncWorkerActivities,
  ): Promise<StripeEventSyncResult> {
    const args: StripeEventSyncInput = { windowMinutes: 60, forceRerun: false, trigger: 'manual', ...input };
    return this.runWorkflow<StripeEventSyncResult>(STRIPE_EVENT_SYNC_WORKFLOW, [args], activities);
  }

  /** Runs any sync workflow type to completion on a fresh worker and task queue (children run there too). */
  async runWorkflow<R>(workflowType: string, args: unknown[], activities: SyncWorkerActivities): Promise<R> {
    const taskQueue = `stripe-sync-test-${randomUUID()}`;
    const { worker, connection } = await createSyncWorker({
      address: this.env.TEMPORAL_ADDRESS,
      namespace: this.env.TEMPORAL_NAMESPACE,
      taskQueue,
      workflowBundle: this.bundle,
      activities,
      shutdownGraceTime: '1 second',
    });
    try {
      return await worker.runUntil(
        this.temporal.workflow.execute<(...a: unknown[]) => Promise<R>>(workflowType, {
          taskQueue,
          workflowId: `test-sync-${randomUUID()}`,
          args,
          workflowExecutionTimeout: this.workflowExecutionTimeout,
        }),
      );
    } finally {
      await connection.close();
    }
  }

  async ledger(tenant: TenantScope): Promise<LedgerRow[]> {
    return this.db.query(
      `SELECT id, customer_id AS "customerId", meter_id AS "meterId", event_type AS "eventType", window_start AS "windowStart",
              revision, identifier, payload_hash AS "payloadHash", aggregated_quantity::text AS "aggregatedQuantity",
              sent_value::text AS "sentValue", event_name AS "eventName", provider_customer_id AS "providerCustomerId",
              stripe_event_id AS "stripeEventId", sync_status AS "syncStatus", error_message AS "errorMessage",
              attempt_count AS "attemptCount", workflow_id AS "workflowId", run_id AS "runId"
         FROM stripe_sync_batches WHERE tenant_id = $1 AND environment_id = $2
        ORDER BY window_start, customer_id, meter_id, event_type, revision`,
      [tenant.tenantId, tenant.environmentId],
    );
  }

  async breaker(
    tenant: TenantScope,
  ): Promise<{ state: string; failure_count: number; next_probe_at: Date | null; reason: string | null } | undefined> {
    const circuit = await new CircuitBreakerStore(this.db).find(tenant);
    return circuit && { state: circuit.state, failure_count: circuit.failureCount, next_probe_at: circuit.nextProbeAt, reason: circuit.reason };
  }
}

/** A fresh one-key keyring in the form the worker reads from its environment. */
export function testKeyring(): { keys: string; currentKeyId: string } {
  return { keys: `k1:${randomBytes(32).toString('base64')}`, currentKeyId: 'k1' };
}

/** A Stripe-looking test key of its own, so each spec has an emulator account of its own. */
export function testApiKey(label: string): string {
  return `sk_test_${label}${randomBytes(12).toString('hex')}`;
}

export interface SyncSpecContext {
  readonly harness: SyncHarness;
  readonly emulator: RunningStripeEmulator;
}

/** Registers the suite's setup: an in-process Stripe emulator and a harness pointed at it, closed after the suite. */
export function useSyncHarness(): SyncSpecContext {
  let harness: SyncHarness | undefined;
  let emulator: RunningStripeEmulator | undefined;
  beforeAll(async () => {
    emulator = await startStripeEmulator({ accounts: [], rateLimitPerSecond: 1_000 });
    harness = await SyncHarness.start(stackEnv(), emulator.url);
  });
  afterAll(async () => {
    await harness?.close();
    await emulator?.close();
  });
  const ready = <T>(value: T | undefined): T => {
    if (value === undefined) throw new Error('useSyncHarness: used outside a test');
    return value;
  };
  return {
    get harness() {
      return ready(harness);
    },
    get emulator() {
      return ready(emulator);
    },
  };
}
