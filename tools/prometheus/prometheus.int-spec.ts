import { spawn, type ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client } from 'pg';
import { mintTenantToken } from '@flexsync/auth';
import { createClickHouseClient, EventsProcessedStore, toClickHouseDateTime } from '@flexsync/clickhouse';
import { EncryptionKeyring, generateKeyringEntry, SecretBox } from '@flexsync/crypto';
import { eventually, freePort, REPO_ROOT, stackEnv, uniqueTenant } from '@flexsync/testing';

/**
 * A real Prometheus (Debian's `prometheus`, 2.42) scraping the five services started here as their own processes
 * from the production build (`dist/`, `npm run build`; tools/dev/test.sh builds before the integration tests),
 * evaluating the project's alert rules (with `for:` cut to 0 s so the test need not wait 10 minutes):
 * every metric the dashboard and the rules query is exposed, every dashboard query is valid PromQL, a sync
 * whose Stripe key is refused fires the circuit-open and failed-batches alerts, and a reconciliation verdict of drift
 * and a tenant whose windows wait for delivery fire the drift and window-lag alerts.
 */
const env = stackEnv();
const suffix = randomUUID().slice(0, 8);
const KEY_ID = 'prom';
const keyEntry = generateKeyringEntry(KEY_ID);
const AUTH = { jwtSecret: `prometheus-${randomUUID()}-${randomUUID()}`, issuer: 'flexsync-prometheus-test', audience: 'flexsync-api' };
const TASK_QUEUE = `stripe-sync-prometheus-${suffix}`;
const RULES = join(REPO_ROOT, 'ops/prometheus/rules/flexsync.rules.yaml');
const DASHBOARD = join(REPO_ROOT, 'ops/grafana/dashboards/flexsync.json');
const PROMETHEUS_BIN = process.env.PROMETHEUS_BIN ?? '/usr/bin/prometheus';

const SERVICES: Record<string, Record<string, string>> = {
  'config-service': { FLEXSYNC_ENCRYPTION_KEYS: keyEntry, FLEXSYNC_ENCRYPTION_CURRENT_KEY_ID: KEY_ID },
  'mapping-service': {
    KAFKA_BROKERS: env.KAFKA_BROKERS,
    KAFKA_CUSTOMER_EVENTS_TOPIC: `test.prometheus.${suffix}`,
    KAFKA_CUSTOMER_EVENTS_DLQ_TOPIC: `test.prometheus.${suffix}.dlq`,
    KAFKA_CUSTOMER_EVENTS_GROUP_ID: `prometheus-${suffix}`,
    FLEXSYNC_ENCRYPTION_KEYS: keyEntry,
    FLEXSYNC_ENCRYPTION_CURRENT_KEY_ID: KEY_ID,
  },
  'webhook-ingest': {
    KAFKA_BROKERS: env.KAFKA_BROKERS,
    KAFKA_CUSTOMER_EVENTS_TOPIC: `test.prometheus.${suffix}`,
    FLEXSYNC_ENCRYPTION_KEYS: keyEntry,
    FLEXSYNC_ENCRYPTION_CURRENT_KEY_ID: KEY_ID,
  },
  'sync-orchestrator': {
    TEMPORAL_ADDRESS: env.TEMPORAL_ADDRESS,
    TEMPORAL_NAMESPACE: env.TEMPORAL_NAMESPACE,
    TEMPORAL_TASK_QUEUE: TASK_QUEUE,
    STRIPE_SYNC_SCHEDULE_ENABLED: 'false',
  },
  'sync-worker': {
    // As the image sets it: the prebuilt bundle, never a bundling of sources at start.
    WORKFLOW_BUNDLE_PATH: join(REPO_ROOT, 'dist/workflows/bundle.js'),
    CLICKHOUSE_URL: env.CLICKHOUSE_URL,
    CLICKHOUSE_DATABASE: env.CLICKHOUSE_DATABASE,
    TEMPORAL_ADDRESS: env.TEMPORAL_ADDRESS,
    TEMPORAL_NAMESPACE: env.TEMPORAL_NAMESPACE,
    TEMPORAL_TASK_QUEUE: TASK_QUEUE,
    KAFKA_BROKERS: env.KAFKA_BROKERS,
    KAFKA_METER_ERROR_REPORTS_TOPIC: `test.prometheus.meter-errors.${suffix}`,
    KAFKA_METER_ERROR_REPORTS_GROUP_ID: `prometheus-${suffix}`,
    FLEXSYNC_ENCRYPTION_KEYS: keyEntry,
    FLEXSYNC_ENCRYPTION_CURRENT_KEY_ID: KEY_ID,
    STRIPE_API_BASE_URL: env.STRIPE_EMULATOR_URL,
    STRIPE_TEST_WRITES_PER_SECOND: '500',
  },
};

/** The service as the image runs it: compiled JavaScript, production mode. */
function mainOf(service: string): string {
  return join(REPO_ROOT, 'dist/apps', service, 'src/main.js');
}

const PROMQL_WORDS = new Set(
  (
    'sum min max avg count by without on ignoring group_left group_right and or unless offset bool rate irate increase ' +
    'delta changes histogram_quantile time absent abs clamp_min clamp_max topk bottomk le inf nan'
  ).split(' '),
);

/** Metric names a PromQL expression reads: identifiers outside label matchers, ranges, groupings and strings. */
function metricNames(expr: string): string[] {
  const stripped = expr
    .replace(/"[^"]*"/g, ' ')
    .replace(/\{[^}]*\}/g, ' ')
    .replace(/\[[^\]]*\]/g, ' ')
    .replace(/\b(by|without|on|ignoring)\s*\([^)]*\)/g, ' ');
  const names = (stripped.match(/[a-zA-Z_:][a-zA-Z0-9_:]*/g) ?? []).filter((word) => !PROMQL_WORDS.has(word.toLowerCase()));
  return [...new Set(names)];
}

function queriedExpressions(): { source: string; expr: string }[] {
  const dashboard = JSON.parse(readFileSync(DASHBOARD, 'utf8')) as { panels: { title: string; targets: { expr: string }[] }[] };
  const fromDashboard = dashboard.panels.flatMap((panel) =>
    panel.targets.map((target) => ({ source: `panel "${panel.title}"`, expr: target.expr })),
  );
  // The rules file is YAML with one `expr:` per rule, either inline or as a `|` block.
  const fromRules: { source: string; expr: string }[] = [];
  const lines = readFileSync(RULES, 'utf8').split('\n');
  let alert = '';
  lines.forEach((line, index) => {
    const named = line.match(/- alert: (\S+)/);
    if (named) alert = named[1];
    const inline = line.match(/^\s+expr: (?!\|)(.+)$/);
    if (inline) fromRules.push({ source: `rule ${alert}`, expr: inline[1] });
    if (/^\s+expr: \|\s*$/.test(line)) {
      const block: string[] = [];
      for (let next = index + 1; next < lines.length && /^\s{10,}\S/.test(lines[next]); next += 1) block.push(lines[next].trim());
      fromRules.push({ source: `rule ${alert}`, expr: block.join(' ') });
    }
  });
  return [...fromDashboard, ...fromRules];
}

interface Started {
  child: ChildProcess;
  output: string[];
}

function startProcess(command: string, args: string[], childEnv: NodeJS.ProcessEnv): Started {
  const child = spawn(command, args, { cwd: REPO_ROOT, env: childEnv, stdio: ['ignore', 'pipe', 'pipe'] });
  const output: string[] = [];
  const keep = (chunk: Buffer): void => {
    output.push(chunk.toString());
    if (output.length > 200) output.shift();
  };
  child.stdout?.on('data', keep);
  child.stderr?.on('data', keep);
  return { child, output };
}

async function stop(started: Started | undefined): Promise<void> {
  if (!started || started.child.exitCode !== null) return;
  const exited = new Promise((resolve) => started.child.once('exit', resolve));
  started.child.kill('SIGTERM');
  let timer: NodeJS.Timeout | undefined;
  await Promise.race([exited, new Promise((resolve) => (timer = setTimeout(resolve, 15_000)))]);
  clearTimeout(timer);
  if (started.child.exitCode === null) started.child.kill('SIGKILL');
}

async function getJson<T>(url: string): Promise<T> {
  const response = await fetch(url);
  if (!response.ok) throw new Error(`${url}: HTTP ${response.status} ${await response.text()}`);
  return (await response.json()) as T;
}

describe('a real Prometheus scraping the five services', () => {
  const ports: Record<string, number> = {};
  let temporalMetricsPort = 0;
  const processes: Record<string, Started> = {};
  let prometheus: Started | undefined;
  let promUrl = '';
  let dir = '';
  const db = new Client({ connectionString: env.DATABASE_URL });
  const tenant = uniqueTenant('prometheus');
  const drifting = uniqueTenant('promdrift');
  const timings: Record<string, number> = {};

  beforeAll(async () => {
    const started = Date.now();
    const missing = Object.keys(SERVICES).filter((service) => !existsSync(mainOf(service)));
    if (missing.length) throw new Error(`no production build of ${missing.join(', ')}: run \`npm run build\` first`);
    // Without the binary the spawn never exits and the wait below would only time out.
    if (!existsSync(PROMETHEUS_BIN)) throw new Error(`no Prometheus at ${PROMETHEUS_BIN}: tools/prometheus/check.sh installs it`);
    await db.connect();
    dir = mkdtempSync(join(tmpdir(), 'flexsync-prometheus-'));
    temporalMetricsPort = await freePort();
    const temporalMetrics: Record<string, Record<string, string>> = {
      'sync-worker': { TEMPORAL_METRICS_BIND_ADDRESS: `127.0.0.1:${temporalMetricsPort}` },
    };
    for (const [service, extra] of Object.entries(SERVICES)) {
      ports[service] = await freePort();
      processes[service] = startProcess(process.execPath, [mainOf(service)], {
        PATH: process.env.PATH ?? '',
        HOME: process.env.HOME ?? '',
        DATABASE_URL: env.DATABASE_URL,
        PORT: String(ports[service]),
        HOST: '127.0.0.1',
        NODE_ENV: 'production',
        LOG_LEVEL: 'warn',
        AUTH_JWT_SECRET: AUTH.jwtSecret,
        AUTH_JWT_ISSUER: AUTH.issuer,
        AUTH_JWT_AUDIENCE: AUTH.audience,
        ...extra,
        ...temporalMetrics[service],
      });
    }
    // Short `for:` so the alerts fire within the test; the expressions are the shipped ones.
    writeFileSync(join(dir, 'rules.yaml'), readFileSync(RULES, 'utf8').replace(/^(\s+)for: \S+$/gm, '$1for: 0s'));
    writeFileSync(
      join(dir, 'prometheus.yml'),
      [
        'global: { scrape_interval: 1s, evaluation_interval: 1s }',
        'rule_files: [rules.yaml]',
        'scrape_configs:',
        ...Object.entries(ports).flatMap(([service, port]) => [
          `  - job_name: ${service}`,
          `    static_configs: [{ targets: ["127.0.0.1:${port}"] }]`,
        ]),
        '  - job_name: sync-worker-temporal-sdk',
        `    static_configs: [{ targets: ["127.0.0.1:${temporalMetricsPort}"] }]`,
        '',
      ].join('\n'),
    );
    const promPort = await freePort();
    promUrl = `http://127.0.0.1:${promPort}`;
    prometheus = startProcess(
      PROMETHEUS_BIN,
      [
        `--config.file=${join(dir, 'prometheus.yml')}`,
        `--storage.tsdb.path=${join(dir, 'data')}`,
        `--web.listen-address=127.0.0.1:${promPort}`,
      ],
      { PATH: process.env.PATH ?? '' },
    );
    await eventually(
      async () => {
        const exited = Object.entries(processes).find(([, proc]) => proc.child.exitCode !== null);
        if (exited) throw new Error(`${exited[0]} exited: ${exited[1].output.join('').slice(-2000)}`);
        if (prometheus?.child.exitCode !== null) throw new Error(`prometheus exited: ${prometheus?.output.join('')}`);
        const targets = await getJson<{ data: { activeTargets: { health: string; lastError: string; labels: { job: string } }[] } }>(
          `${promUrl}/api/v1/targets`,
        );
        const down = targets.data.activeTargets.filter((target) => target.health !== 'up');
        // Thrown, so a timeout names the targets still down and why.
        if (down.length || targets.data.activeTargets.length !== Object.keys(SERVICES).length + 1) {
          throw new Error(
            `targets not up: ${down.map((target) => `${target.labels.job} (${target.health}: ${target.lastError})`).join(', ')}`,
          );
        }
        return true;
      },
      { timeoutMs: 150_000, intervalMs: 1000, what: 'the five services and the worker’s Temporal SDK metrics up in Prometheus' },
    );
    timings.services_up_in_prometheus_ms = Date.now() - started;
  }, 180_000);

  afterAll(async () => {
    await Promise.all([...Object.values(processes), prometheus].map((proc) => stop(proc)));
    await db.query(`DELETE FROM stripe_sync_batches WHERE tenant_id = $1`, [tenant.tenantId]).catch(() => undefined);
    // Left behind, the drifting tenant would keep its gauges (and alerts) in other specs' scrapes.
    await db.query(`DELETE FROM stripe_reconciliation_cells WHERE tenant_id = $1`, [drifting.tenantId]).catch(() => undefined);
    await db.query(`DELETE FROM stripe_reconciliation_runs WHERE tenant_id = $1`, [drifting.tenantId]).catch(() => undefined);
    await db.query(`DELETE FROM stripe_tenant_configs WHERE tenant_id = $1`, [drifting.tenantId]).catch(() => undefined);
    await db.end();
    if (dir) rmSync(dir, { recursive: true, force: true });
    process.stdout.write(`prometheus test timings: ${JSON.stringify(timings)}\n`);
  });

  it('sees every metric the dashboard and the alert rules query, and every dashboard query is valid PromQL', async () => {
    const exposed = new Set<string>();
    for (const port of Object.values(ports)) {
      const text = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
      for (const match of text.matchAll(/^# TYPE (\S+) (\S+)$/gm)) exposed.add(match[1]);
    }
    const expressions = queriedExpressions();
    expect(expressions.length).toBeGreaterThan(25);
    const missing: string[] = [];
    for (const { source, expr } of expressions) {
      for (const name of metricNames(expr)) {
        const family = name.replace(/_(bucket|count|sum)$/, '');
        if (name !== 'up' && !exposed.has(name) && !exposed.has(family)) missing.push(`${source}: ${name}`);
      }
      const evaluated = await getJson<{ status: string }>(`${promUrl}/api/v1/query?query=${encodeURIComponent(expr)}`);
      expect({ source, status: evaluated.status }).toEqual({ source, status: 'success' });
    }
    expect(missing).toEqual([]);
  });

  it('scrapes the Temporal SDK’s own worker metrics from the address TEMPORAL_METRICS_BIND_ADDRESS names', async () => {
    const text = await (await fetch(`http://127.0.0.1:${temporalMetricsPort}/metrics`)).text();
    const families = [...text.matchAll(/^# TYPE (temporal_\S+) /gm)].map((match) => match[1]);
    expect(families).toEqual(expect.arrayContaining(['temporal_num_pollers']));
    const up = await getJson<{ data: { result: { value: [number, string] }[] } }>(
      `${promUrl}/api/v1/query?query=${encodeURIComponent('up{job="sync-worker-temporal-sdk"}')}`,
    );
    expect(up.data.result.map((sample) => sample.value[1])).toEqual(['1']);
  });

  it('fires the circuit-open and failed-batches alerts when Stripe refuses a tenant’s key', async () => {
    const started = Date.now();
    const secretBox = new SecretBox(EncryptionKeyring.parse(keyEntry, KEY_ID));
    // A key the Stripe emulator has never heard of: every push answers 401.
    const sealed = secretBox.seal(['sk', 'test', `refused${suffix}`].join('_'), {
      tenantId: tenant.tenantId,
      environmentId: tenant.environmentId,
      field: 'api_key',
    });
    await db.query(
      `INSERT INTO stripe_tenant_configs (tenant_id, environment_id, api_key_ciphertext, api_key_key_id, api_key_masked, sync_enabled)
       VALUES ($1, $2, $3, $4, 'sk_test_…used', true)`,
      [tenant.tenantId, tenant.environmentId, sealed.ciphertext, sealed.keyId],
    );
    await db.query(
      `INSERT INTO meter_provider_mappings (tenant_id, environment_id, meter_id, provider_type, provider_meter_id, sync_enabled, value_precision)
       VALUES ($1, $2, 'meter_api', 'stripe', 'api_calls', true, 0)`,
      [tenant.tenantId, tenant.environmentId],
    );
    await db.query(
      `INSERT INTO customer_integration_mappings (tenant_id, environment_id, customer_id, provider_type, provider_customer_id, status)
       VALUES ($1, $2, 'client_a', 'stripe', 'cus_a', 'mapped')`,
      [tenant.tenantId, tenant.environmentId],
    );
    const window = new Date(Math.floor(Date.now() / 3_600_000) * 3_600_000 - 2 * 3_600_000);
    const clickhouse = createClickHouseClient({ url: env.CLICKHOUSE_URL, database: env.CLICKHOUSE_DATABASE });
    try {
      await new EventsProcessedStore(clickhouse).insert([
        {
          tenant_id: tenant.tenantId,
          environment_id: tenant.environmentId,
          event_id: randomUUID(),
          customer_id: 'client_a',
          meter_id: 'meter_api',
          event_type: 'increment',
          qty_billable: '7',
          processed_at: toClickHouseDateTime(new Date(window.getTime() + 60_000)),
        },
      ]);
    } finally {
      await clickhouse.close();
    }

    const token = await mintTenantToken(AUTH, { tenantId: tenant.tenantId, environmentId: tenant.environmentId });
    const response = await fetch(`http://127.0.0.1:${ports['sync-orchestrator']}/v1/stripe/sync/manual`, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      body: JSON.stringify({ time_from: window.toISOString(), time_to: new Date(window.getTime() + 3_600_000).toISOString() }),
    });
    expect(response.status).toBeLessThan(300);

    interface Alert {
      labels: Record<string, string>;
      state: string;
    }
    const firing = await eventually(
      async () => {
        const alerts = (await getJson<{ data: { alerts: Alert[] } }>(`${promUrl}/api/v1/alerts`)).data.alerts.filter(
          (alert) => alert.state === 'firing',
        );
        const circuit = alerts.find(
          (alert) => alert.labels.alertname === 'StripeCircuitOpen' && alert.labels.tenant_id === tenant.tenantId,
        );
        const failed = alerts.find((alert) => alert.labels.alertname === 'StripeSyncBatchesFailed');
        return circuit && failed ? { circuit, failed } : undefined;
      },
      { timeoutMs: 90_000, intervalMs: 1000, what: 'StripeCircuitOpen and StripeSyncBatchesFailed firing' },
    );
    timings.alerts_firing_after_sync_request_ms = Date.now() - started;
    expect(firing.circuit.labels).toMatchObject({ severity: 'ticket', environment_id: tenant.environmentId });
    const rows = await db.query(`SELECT sync_status FROM stripe_sync_batches WHERE tenant_id = $1`, [tenant.tenantId]);
    expect(rows.rows).toEqual([{ sync_status: 'failed' }]);
  }, 120_000);

  it('fires the drift and window-lag alerts from the orchestrator’s reconciliation gauges', async () => {
    const started = Date.now();
    // A tenant enabled 30 days ago whose windows were never delivered (the stalest, so within the capped labels), and a stored reconciliation verdict of
    // drift for it: what a reconciliation run leaves when Stripe counts 7 units more than ClickHouse measured.
    await db.query(
      `INSERT INTO stripe_tenant_configs (tenant_id, environment_id, api_key_ciphertext, api_key_key_id, api_key_masked, sync_enabled, created_at)
       VALUES ($1, $2, 'unused', $3, 'sk_test_…used', true, now() - interval '30 days')`,
      [drifting.tenantId, drifting.environmentId, KEY_ID],
    );
    const window = new Date(Math.floor(Date.now() / 3_600_000) * 3_600_000 - 3 * 3_600_000);
    const run = await db.query(
      `INSERT INTO stripe_reconciliation_runs (tenant_id, environment_id, trigger, time_from, time_to, status, started_at)
       VALUES ($1, $2, 'api', $3, $4, 'completed', now()) RETURNING id`,
      [drifting.tenantId, drifting.environmentId, window, new Date(window.getTime() + 3_600_000)],
    );
    await db.query(
      `INSERT INTO stripe_reconciliation_cells (tenant_id, environment_id, window_start, window_end, customer_id, meter_id, status,
                                                measured_quantity, measured_value, delivered_value, stripe_value, difference, unexplained, run_id)
       VALUES ($1, $2, $3, $4, 'client_a', 'meter_api', 'drift', 5, 5, 5, 12, 7, 7, $5)`,
      [drifting.tenantId, drifting.environmentId, window, new Date(window.getTime() + 3_600_000), run.rows[0].id],
    );

    interface Alert {
      labels: Record<string, string>;
      value: string;
      state: string;
    }
    const firing = await eventually(
      async () => {
        const alerts = (await getJson<{ data: { alerts: Alert[] } }>(`${promUrl}/api/v1/alerts`)).data.alerts.filter(
          (alert) => alert.state === 'firing' && alert.labels.tenant_id === drifting.tenantId,
        );
        const drift = alerts.find((alert) => alert.labels.alertname === 'StripeSyncDrift');
        const lag = alerts.find((alert) => alert.labels.alertname === 'StripeSyncWindowLag');
        return drift && lag ? { drift, lag } : undefined;
      },
      { timeoutMs: 60_000, intervalMs: 1000, what: 'StripeSyncDrift and StripeSyncWindowLag firing for the drifting tenant' },
    );
    timings.reconciliation_alerts_firing_ms = Date.now() - started;
    expect(firing.drift.labels).toMatchObject({ severity: 'page', environment_id: drifting.environmentId });
    expect(Number(firing.drift.value)).toBe(7);
    expect(Number(firing.lag.value)).toBeGreaterThan(2 * 3600);
  }, 90_000);
});
