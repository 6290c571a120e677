/**
 * The user's validation playbook (shared/playbook.md, §1–§10), run for real against the five running services,
 * the local stack and the Stripe emulator. Each step checks its outcome and the demo stops at the first surprise.
 * Started by `npm start` after every service is ready; needs the env that start-all exports.
 */
import { randomBytes } from 'node:crypto';
import { mintTenantToken } from '@flexsync/auth';
import { createClickHouseClient, EventsProcessedStore, MeterUsageStore, toClickHouseDateTime } from '@flexsync/clickhouse';
import { buildCustomerObject, sendStripeWebhook, StripeEmulatorAdminClient } from '@flexsync/stripe-emulator';
import { type ScheduledSyncInput, STRIPE_SCHEDULED_SYNC_WORKFLOW, STRIPE_SYNC_SCHEDULE_ID } from '@flexsync/sync-contracts';
import { connectTemporalClient } from '@flexsync/temporal';

const env = process.env as Record<string, string>;
// start-all.sh's FLEXSYNC_SERVICE_PORT_BASE puts the services on base+0..4 (config, mapping, webhook, orchestrator, worker).
const PORT_BASE = env.FLEXSYNC_SERVICE_PORT_BASE ? Number(env.FLEXSYNC_SERVICE_PORT_BASE) : undefined;
const serviceUrl = (offset: number, defaultPort: number): string =>
  `http://127.0.0.1:${PORT_BASE === undefined ? defaultPort : PORT_BASE + offset}`;
const URLS = {
  config: serviceUrl(0, 8081),
  mapping: serviceUrl(1, 8082),
  webhook: serviceUrl(2, 8083),
  orchestrator: serviceUrl(3, 8080),
  worker: serviceUrl(4, 8085),
};

function step(title: string): void {
  process.stdout.write(`\n== ${title}\n`);
}

function ok(what: string, detail?: unknown): void {
  process.stdout.write(`   ✔ ${what}${detail === undefined ? '' : ` ${typeof detail === 'string' ? detail : JSON.stringify(detail)}`}\n`);
}

function check(condition: boolean, what: string, detail?: unknown): void {
  if (!condition) throw new Error(`demo check failed: ${what}${detail === undefined ? '' : ` — got ${JSON.stringify(detail)}`}`);
  ok(what);
}

interface Answer {
  status: number;
  body: Record<string, unknown>;
}

async function call(method: string, url: string, token?: string, body?: unknown): Promise<Answer> {
  const response = await fetch(url, {
    method,
    headers: {
      ...(token ? { Authorization: `Bearer ${token}` } : {}),
      ...(body === undefined ? {} : { 'Content-Type': 'application/json' }),
    },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await response.text();
  return { status: response.status, body: text ? (JSON.parse(text) as Record<string, unknown>) : {} };
}

async function waitFor<T>(what: string, probe: () => Promise<T | undefined>, timeoutMs = 30_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const value = await probe();
    if (value !== undefined) return value;
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
  throw new Error(`demo timed out waiting for ${what}`);
}

async function main(): Promise<void> {
  const run = randomBytes(4).toString('hex');
  const tenant = { tenantId: `tenant_demo_${run}`, environmentId: `env_demo_${run}` };
  const apiKey = `sk_test_demo${run}${randomBytes(8).toString('hex')}`;
  const webhookSecret = `whsec_demo${randomBytes(16).toString('hex')}`;
  const signing = { jwtSecret: env.AUTH_JWT_SECRET, issuer: env.AUTH_JWT_ISSUER, audience: env.AUTH_JWT_AUDIENCE };
  const token = await mintTenantToken(signing, tenant);
  const emulator = new StripeEmulatorAdminClient(env.STRIPE_EMULATOR_URL);
  await emulator.addAccount({
    apiKeys: [apiKey],
    meters: [
      { eventName: 'meter.storage', displayName: 'Storage' },
      { eventName: 'meter.seats', displayName: 'Seats (peak)', formula: 'last' },
    ],
  });
  process.stdout.write(`FlexPrice ↔ Stripe playbook demo — tenant ${tenant.tenantId}, environment ${tenant.environmentId}\n`);

  step('§1 Save the tenant’s Stripe config (PUT /v1/stripe/config) and smoke-test the key');
  const saved = await call('PUT', `${URLS.config}/v1/stripe/config`, token, {
    api_key: apiKey,
    webhook_secret: webhookSecret,
    sync_enabled: true,
    aggregation_window_minutes: 60,
  });
  check(saved.status === 201, 'config created (201)', saved);
  check(!JSON.stringify(saved.body).includes(apiKey) && !JSON.stringify(saved.body).includes(webhookSecret), 'no secret in the answer');
  ok('key shown masked:', saved.body.api_key);
  const tested = await call('POST', `${URLS.config}/v1/stripe/config/test`, token);
  check(tested.status === 200 && tested.body.status === 'connected', 'POST /v1/stripe/config/test → 200 connected', tested.body);

  step('§2 Map the FlexPrice meter to the Stripe Meter (POST /v1/stripe/meters/mapping)');
  const mapping = { meter_id: 'meter_storage', provider_type: 'stripe', provider_meter_id: 'meter.storage', sync_enabled: true };
  const created = await call('POST', `${URLS.mapping}/v1/stripe/meters/mapping`, token, mapping);
  check(created.status === 201, 'meter mapping created (201)', created.body);
  const duplicate = await call('POST', `${URLS.mapping}/v1/stripe/meters/mapping`, token, mapping);
  check(duplicate.status === 409, 'a second mapping for the same meter → 409', duplicate.body);
  const lastFormula = await call('POST', `${URLS.mapping}/v1/stripe/meters/mapping`, token, {
    meter_id: 'meter_seats',
    provider_type: 'stripe',
    provider_meter_id: 'meter.seats',
  });
  check(
    lastFormula.status === 400 && /meter formula last is not sum: Stripe meter mtr_\w+ \(event_name 'meter.seats'\)/.test(String(lastFormula.body.message)),
    'a Stripe meter that aggregates with last is refused (400, naming the meter and its formula)',
    lastFormula.body,
  );

  step('§4 Stripe sends a signed customer.created webhook; the customer mapping appears');
  const customer = buildCustomerObject({ email: 'client_123@example.com', metadata: { flexprice_customer_id: 'client_123' } });
  const delivery = await sendStripeWebhook({
    url: `${URLS.webhook}/webhooks/stripe/${tenant.tenantId}/${tenant.environmentId}`,
    secret: webhookSecret,
    type: 'customer.created',
    object: customer,
  });
  check(delivery.status === 200, 'webhook answered 200', delivery.body);
  const badSignature = await sendStripeWebhook({
    url: `${URLS.webhook}/webhooks/stripe/${tenant.tenantId}/${tenant.environmentId}`,
    secret: 'whsec_not_the_secret',
    type: 'customer.created',
    object: customer,
  });
  check(badSignature.status === 400, 'a badly signed delivery → 400');
  const mapped = await waitFor('the customer mapping', async () => {
    const list = await call('GET', `${URLS.mapping}/v1/stripe/customers/mapping?customer_id=client_123`, token);
    const rows = (list.body.data as { provider_customer_id: string; status: string }[] | undefined) ?? [];
    return rows.find((row) => row.status === 'mapped');
  });
  check(mapped.provider_customer_id === customer.id, `customer_integration_mappings: client_123 → ${String(customer.id)}`);

  step('§5 Insert usage into ClickHouse (events_processed)');
  const hour = 3_600_000;
  const windowStart = new Date(Math.floor(Date.now() / hour) * hour - hour);
  const windowEnd = new Date(windowStart.getTime() + hour);
  const clickhouse = createClickHouseClient({ url: env.CLICKHOUSE_URL, database: env.CLICKHOUSE_DATABASE });
  const usage = new EventsProcessedStore(clickhouse);
  const at = (minutes: number) => toClickHouseDateTime(new Date(windowStart.getTime() + minutes * 60_000));
  const row = (qty: string, minutes: number, meter = 'meter_storage') => ({
    ...{ tenant_id: tenant.tenantId, environment_id: tenant.environmentId },
    customer_id: 'client_123',
    meter_id: meter,
    event_type: 'increment',
    qty_billable: qty,
    processed_at: at(minutes),
  });
  await usage.insert([row('40', 10), row('1.5', 20), row('0.5', 59), row('7', 30, 'meter_unmapped')]);
  ok(`usage in [${windowStart.toISOString()}, ${windowEnd.toISOString()}): meter_storage 42, meter_unmapped 7`);

  step('§6 Trigger a manual sync (POST /v1/stripe/sync/manual) and verify the ledger');
  const manual = await call('POST', `${URLS.orchestrator}/v1/stripe/sync/manual`, token, {
    entity_id: 'client_123',
    entity_type: 'customer',
    time_from: windowStart.toISOString(),
    time_to: windowEnd.toISOString(),
    force_rerun: false,
  });
  check(manual.status === 202, 'POST /v1/stripe/sync/manual → 202', manual.body);
  ok('workflow', { workflow_id: manual.body.workflow_id, run_id: manual.body.run_id });
  const temporal = await connectTemporalClient({ address: env.TEMPORAL_ADDRESS, namespace: env.TEMPORAL_NAMESPACE });
  await temporal.workflow.getHandle(String(manual.body.workflow_id)).result();
  ok('StripeEventSyncWorkflow completed (AggregateEventsActivity → SyncToStripeActivity → TrackSyncBatchActivity)');
  const batches = await call('GET', `${URLS.orchestrator}/v1/stripe/sync/batches?window_start=${windowStart.toISOString()}`, token);
  const rows = batches.body.data as {
    meter_id: string;
    sync_status: string;
    stripe_event_id: string | null;
    error_message: string | null;
    sent_value: string | null;
  }[];
  const storage = rows.find((b) => b.meter_id === 'meter_storage');
  check(
    storage?.sync_status === 'completed' && Boolean(storage.stripe_event_id),
    '§6.2 meter_storage batch completed with a stripe_event_id',
    storage,
  );
  const totals = await emulator.totals();
  const sent = totals.find((t) => t.customer === customer.id && t.eventName === 'meter.storage');
  check(sent?.totalExact === '42', 'Stripe (emulator) received exactly 42 for client_123 on meter.storage', sent);

  step('§7 Hourly cron sync: the Temporal Schedule the orchestrator owns');
  const schedule = await temporal.schedule.getHandle(STRIPE_SYNC_SCHEDULE_ID).describe();
  const action = schedule.action as { workflowType?: string; taskQueue?: string };
  check(
    action.workflowType === STRIPE_SCHEDULED_SYNC_WORKFLOW && action.taskQueue === 'stripe-sync',
    `schedule ${STRIPE_SYNC_SCHEDULE_ID} starts ${action.workflowType} on stripe-sync`,
  );
  ok('fires at', schedule.spec.calendars?.map((c) => `minute ${JSON.stringify(c.minute)} of every hour`).join(', '));
  ok(
    'next runs',
    schedule.info.nextActionTimes.slice(0, 2).map((t) => t.toISOString()),
  );
  const [tick] = (schedule.action as { args?: ScheduledSyncInput[] }).args ?? [];
  check(
    tick?.maxWindowsPerRun !== undefined && tick.tenantPageSize !== undefined,
    `each tick syncs, per tenant with sync_enabled, every closed window not yet delivered (oldest first, up to ${tick?.maxWindowsPerRun} a run; tenants ${tick?.tenantPageSize} a page), plus the last ${tick?.lookbackHours} h again for late usage`,
  );

  step('§8 Negative paths');
  const unmapped = rows.find((b) => b.meter_id === 'meter_unmapped');
  check(
    unmapped?.sync_status === 'failed' && unmapped.error_message === 'meter mapping not found',
    'missing meter mapping → failed, "meter mapping not found"',
    unmapped,
  );
  const rerun = await call('POST', `${URLS.orchestrator}/v1/stripe/sync/manual`, token, {
    time_from: windowStart.toISOString(),
    time_to: windowEnd.toISOString(),
    force_rerun: true,
  });
  await temporal.workflow.getHandle(String(rerun.body.workflow_id)).result();
  const after = (await emulator.totals()).find((t) => t.customer === customer.id && t.eventName === 'meter.storage');
  check(after?.totalExact === '42', 'force_rerun re-sent the same identities; Stripe still counts 42 (nothing twice)', after);
  const wrongKeyTenant = { tenantId: `tenant_demo_wrongkey_${run}`, environmentId: tenant.environmentId };
  const wrongToken = await mintTenantToken(signing, wrongKeyTenant);
  await call('PUT', `${URLS.config}/v1/stripe/config`, wrongToken, {
    api_key: `sk_test_unknown${run}`,
    sync_enabled: true,
    aggregation_window_minutes: 60,
  });
  const wrong = await call('POST', `${URLS.config}/v1/stripe/config/test`, wrongToken);
  check(
    wrong.status === 401 && wrong.body.status === 'auth_error',
    'wrong API key → POST /v1/stripe/config/test 401 auth_error',
    wrong.body,
  );

  step('§5–6 again, from FlexPrice’s meter_usage (usage_source: flexprice-meter-usage for one environment)');
  const flexprice = { tenantId: tenant.tenantId, environmentId: `${tenant.environmentId}_mu` };
  const flexpriceToken = await mintTenantToken(signing, flexprice);
  const flexpriceKey = `sk_test_demomu${run}`;
  await emulator.addAccount({ apiKeys: [flexpriceKey], meters: [{ eventName: 'meter.storage', displayName: 'Storage' }] });
  const sourced = await call('PUT', `${URLS.config}/v1/stripe/config`, flexpriceToken, {
    api_key: flexpriceKey,
    sync_enabled: true,
    aggregation_window_minutes: 60,
    usage_source: 'flexprice-meter-usage',
  });
  check(
    sourced.status === 201 && sourced.body.usage_source === 'flexprice-meter-usage',
    'config with usage_source flexprice-meter-usage (201)',
  );
  await call('POST', `${URLS.mapping}/v1/stripe/meters/mapping`, flexpriceToken, mapping);
  // With this source the customer key is FlexPrice's external customer id (meter_usage.external_customer_id).
  const mapCustomer = await call('POST', `${URLS.mapping}/v1/stripe/customers/mapping`, flexpriceToken, {
    customer_id: 'ext_client_123',
    provider_type: 'stripe',
    provider_customer_id: customer.id,
  });
  check(mapCustomer.status === 201, 'customer mapping ext_client_123 (external id) → the Stripe customer', mapCustomer.body);
  const meterUsage = new MeterUsageStore(clickhouse);
  const reading = (id: string, qty: string, minutes: number, ingestedAt: Date) => ({
    ...{ id, tenant_id: flexprice.tenantId, environment_id: flexprice.environmentId },
    external_customer_id: 'ext_client_123',
    meter_id: 'meter_storage',
    event_name: 'storage_gb',
    timestamp: new Date(windowStart.getTime() + minutes * 60_000),
    ingested_at: ingestedAt,
    qty_total: qty,
  });
  await meterUsage.insert([
    reading('evt_1', '40', 10, new Date(Date.now() - 60_000)),
    reading('evt_2', '1.5', 20, new Date()),
    reading('evt_3', '0.5', 59, new Date()),
  ]);
  // FlexPrice re-ingests evt_1 with a corrected quantity: a second row for the id until ClickHouse merges the parts.
  await meterUsage.insert([reading('evt_1', '30', 10, new Date())]);
  ok('meter_usage: evt_1 40 then re-ingested as 30, evt_2 1.5, evt_3 0.5 (a naive SUM would say 72)');
  const sourcedRun = await call('POST', `${URLS.orchestrator}/v1/stripe/sync/manual`, flexpriceToken, {
    time_from: windowStart.toISOString(),
    time_to: windowEnd.toISOString(),
    force_rerun: false,
  });
  await temporal.workflow.getHandle(String(sourcedRun.body.workflow_id)).result();
  const flexpriceTotals = await emulator.totals(flexpriceKey);
  check(
    flexpriceTotals.find((t) => t.eventName === 'meter.storage')?.totalExact === '32',
    'Stripe (emulator) received exactly 32 for ext_client_123: each id once, the latest ingestion winning',
    flexpriceTotals,
  );
  const playbookTotals = await emulator.totals(apiKey);
  check(
    playbookTotals.find((t) => t.eventName === 'meter.storage')?.totalExact === '42',
    'the playbook environment (events_processed) still counts 42 beside it',
    playbookTotals,
  );
  await call('DELETE', `${URLS.config}/v1/stripe/config`, flexpriceToken);

  step('§9 Metrics & health');
  const status = await call('GET', `${URLS.orchestrator}/v1/stripe/sync/status`, token);
  check(status.status === 200, 'GET /v1/stripe/sync/status', status.body);
  const metrics = await (await fetch(`${URLS.worker}/metrics`)).text();
  const line = metrics.split('\n').find((l) => l.startsWith('stripe_sync_batches_total{') && l.includes('status="failed"'));
  check(Boolean(line), 'sync-worker /metrics exposes stripe_sync_batches_total{status="failed"}', line);
  for (const [name, url] of Object.entries(URLS)) {
    const ready = await call('GET', `${url}/health/ready`);
    check(ready.status === 200, `${name} /health/ready → 200`);
  }

  step('§10 Clean-up');
  check(
    (await call('DELETE', `${URLS.config}/v1/stripe/config`, token)).status === 204,
    'DELETE /v1/stripe/config → 204 (the ledger stays for audit)',
  );
  await clickhouse.close();
  await temporal.connection.close();
  process.stdout.write('\nplaybook demo: every step passed\n');
}

main().catch((error: unknown) => {
  process.stderr.write(`\n${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
});
