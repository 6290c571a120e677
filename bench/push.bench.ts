/**
 * Push benchmark (design "Performance targets"): one window with many aggregates, from `events_processed` rows
 * generated inside ClickHouse, through the real workflow, ledger and activities into the Stripe emulator (its own
 * process, rate-limited). Reports the achieved push rate as a ratio to the emulator's limit and this process' RSS
 * at start, middle and end of the push. Not part of `npm test`.
 *
 *   node tools/dev/run-ts.js apps/sync-worker/src/app/push.bench.ts [--aggregates 10000] [--rows 500000] [--rate 1000]
 *                                                                    [--concurrency 32] [--page 1000]
 *
 * Each option can also come from BENCH_<NAME> (e.g. BENCH_AGGREGATES=100000); BENCH_LOGS=1 prints the pipeline's
 * log lines at the end. The Stripe emulator is single-threaded: on a 2-core machine its own ceiling is ~1,300 calls/s.
 */
import { ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { quoteString } from '@flexsync/clickhouse';
import { StripeEmulatorAdminClient } from '@flexsync/stripe-emulator';
import type { SyncWorkerActivities } from '@flexsync/sync-contracts';
import { freePort, REPO_ROOT, stackEnv, uniqueTenant } from '@flexsync/testing';
import { HOUR_MS, hourAgo, SyncHarness } from '@flexsync/sync-testing';

interface BenchOptions {
  aggregates: number;
  rows: number;
  rate: number;
  concurrency: number;
  page: number;
}

function options(argv: string[]): BenchOptions {
  const value = (name: string, fallback: number): number => {
    const index = argv.indexOf(`--${name}`);
    const raw = index >= 0 ? argv[index + 1] : process.env[`BENCH_${name.toUpperCase()}`];
    const parsed = raw === undefined ? fallback : Number(raw);
    if (!Number.isInteger(parsed) || parsed <= 0) throw new Error(`--${name} must be a positive whole number`);
    return parsed;
  };
  const aggregates = value('aggregates', 10_000);
  return {
    aggregates,
    rows: value('rows', aggregates * 50),
    rate: value('rate', 1_000),
    concurrency: value('concurrency', 32),
    page: value('page', 1_000),
  };
}

// run-ts.js loads TypeScript through a hook that installs source-map-support, which then formats every stack
// stripe-node captures per request (~0.4 ms each here). The worker runs compiled JavaScript without it in
// production, so the benchmark measures it that way.
delete (Error as { prepareStackTrace?: unknown }).prepareStackTrace;

// RSS alone mixes live memory with garbage V8 has not collected yet; a full GC before each sample shows what the
// worker actually retains as the number of pushed aggregates grows.
setFlagsFromString('--expose-gc');
const collectGarbage = runInNewContext('gc') as () => void;
function liveHeap(): number {
  collectGarbage();
  return process.memoryUsage().heapUsed;
}

const out = (line: string): boolean => process.stdout.write(`${line}\n`);
const mb = (bytes: number): string => `${(bytes / 1024 / 1024).toFixed(0)} MB`;

/** The emulator in a process of its own, so its CPU and memory do not count as the worker's. */
async function startEmulator(apiKey: string, rate: number): Promise<{ url: string; child: ChildProcess }> {
  const port = await freePort();
  const child = spawn(process.execPath, [join(REPO_ROOT, 'tools/dev/run-ts.js'), join(REPO_ROOT, 'tools/stripe-emulator/src/main.ts')], {
    cwd: REPO_ROOT,
    env: {
      ...process.env,
      STRIPE_EMULATOR_PORT: String(port),
      STRIPE_EMULATOR_KEYS: apiKey,
      STRIPE_EMULATOR_METERS: 'bench_calls',
      STRIPE_EMULATOR_RATE_LIMIT_PER_SECOND: String(rate),
    },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  await new Promise<void>((resolve, reject) => {
    child.once('exit', (code) => reject(new Error(`emulator exited with ${code}`)));
    child.stdout?.on('data', (chunk: Buffer) => {
      if (chunk.toString().includes('listening')) resolve();
    });
  });
  return { url: `http://127.0.0.1:${port}`, child };
}

interface RequestLog {
  counts: { total: number; byStatus: Record<string, number> };
  data: { at: number; status: number; durationMs: number }[];
}

async function main(): Promise<void> {
  const opts = options(process.argv.slice(2));
  const env = stackEnv();
  const apiKey = `sk_test_bench${randomBytes(12).toString('hex')}`;
  const emulator = await startEmulator(apiKey, opts.rate);
  const harness = await SyncHarness.start(env, emulator.url);
  const tenant = uniqueTenant('bench');
  const window = hourAgo(2);
  try {
    out(
      `push benchmark: ${opts.aggregates} aggregates from ${opts.rows} rows, emulator limit ${opts.rate}/s, concurrency ${opts.concurrency}, page ${opts.page}`,
    );
    await harness.seedTenant(tenant, { apiKey, meters: [{ meterId: 'meter_bench', eventName: 'bench_calls' }] });
    await harness.db.query(
      `INSERT INTO customer_integration_mappings (tenant_id, environment_id, customer_id, provider_type, provider_customer_id)
       SELECT $1, $2, 'cust_' || n, 'stripe', 'cus_bench_' || n FROM generate_series(0, $3 - 1) AS n`,
      [tenant.tenantId, tenant.environmentId, opts.aggregates],
    );
    const generated = Date.now();
    const startSeconds = window.getTime() / 1000;
    await harness.clickhouse.command({
      query: `INSERT INTO events_processed (tenant_id, environment_id, event_id, customer_id, meter_id, event_type, qty_billable, processed_at)
              SELECT ${quoteString(tenant.tenantId)}, ${quoteString(tenant.environmentId)}, toString(number),
                     concat('cust_', toString(number % ${opts.aggregates})), 'meter_bench', 'increment',
                     toDecimal128(number % 10 + 1, 12), toDateTime(${startSeconds} + number % 3600)
              FROM numbers(${opts.rows})`,
    });
    const measured = await harness.clickhouse.query({
      query: `SELECT toString(sum(qty_billable)) AS total, toString(uniqExact(customer_id)) AS customers FROM events_processed
              WHERE tenant_id = ${quoteString(tenant.tenantId)} AND environment_id = ${quoteString(tenant.environmentId)}`,
      format: 'JSONEachRow',
    });
    const [clickhouse] = await measured.json<{ total: string; customers: string }>();
    out(
      `generated ${opts.rows} rows for ${clickhouse.customers} customers in ClickHouse in ${Date.now() - generated} ms (Σ ${clickhouse.total})`,
    );

    const { activities, metrics } = harness.pipeline((settings) => ({
      ...settings,
      stripe: { ...settings.stripe, timeoutMs: 20_000, testWritesPerSecond: opts.rate },
      push: { ...settings.push, pageSize: opts.page, concurrency: opts.concurrency, maxAttempts: 8, retryBaseMs: 200, retryMaxMs: 2_000 },
      aggregatePageSize: 1_000,
    }));
    const live = { start: liveHeap(), middle: 0, end: 0 };
    const rss = { start: process.memoryUsage().rss, middle: 0, end: 0, peak: 0, aggregatePeak: 0, pushPeak: 0 };
    const quarters: string[] = [];
    const loopDelay = monitorEventLoopDelay({ resolution: 10 });
    loopDelay.enable();
    const sampler = setInterval(() => {
      const now = process.memoryUsage().rss;
      rss.peak = Math.max(rss.peak, now);
      if (pushStartedMs === 0) rss.aggregatePeak = Math.max(rss.aggregatePeak, now);
      else rss.pushPeak = Math.max(rss.pushPeak, now);
    }, 250);
    let aggregateMs = 0;
    let pushStartedMs = 0;
    let pushEndedMs = 0;
    let pushed = 0;
    const timed: SyncWorkerActivities = {
      AggregateEventsActivity: async (input) => {
        const started = Date.now();
        const summary = await activities.AggregateEventsActivity(input);
        aggregateMs = Date.now() - started;
        return summary;
      },
      SyncToStripeActivity: async (input) => {
        pushStartedMs ||= Date.now();
        const page = await activities.SyncToStripeActivity(input);
        pushEndedMs = Date.now();
        const before = pushed;
        pushed += page.completed.ids.length;
        if (before < opts.aggregates / 2 && pushed >= opts.aggregates / 2) {
          rss.middle = process.memoryUsage().rss;
          live.middle = liveHeap();
        }
        for (const quarter of [1, 2, 3, 4]) {
          if (before < (opts.aggregates * quarter) / 4 && pushed >= (opts.aggregates * quarter) / 4) {
            const memory = process.memoryUsage();
            quarters.push(`${quarter * 25}%: rss ${mb(memory.rss)} heap ${mb(memory.heapUsed)}`);
          }
        }
        return page;
      },
      TrackSyncBatchActivity: activities.TrackSyncBatchActivity,
      ListSyncTenantsActivity: activities.ListSyncTenantsActivity,
      PlanTenantCoverageActivity: activities.PlanTenantCoverageActivity,
      RecordWindowCoverageActivity: activities.RecordWindowCoverageActivity,
    };

    const started = Date.now();
    const result = await harness.runSync(
      { ...tenant, timeFrom: window.toISOString(), timeTo: new Date(window.getTime() + HOUR_MS).toISOString() },
      timed,
    );
    const totalMs = Date.now() - started;
    rss.end = process.memoryUsage().rss;
    live.end = liveHeap();
    clearInterval(sampler);
    loopDelay.disable();

    const admin = new StripeEmulatorAdminClient(emulator.url);
    const totals = await admin.totals(apiKey);
    const stripeSum = totals.reduce((sum, total) => sum + BigInt(total.totalExact), 0n);
    const response = await fetch(
      `${emulator.url}/__admin/requests?account=${encodeURIComponent(apiKey)}&path_prefix=/v1/billing/meter_events`,
    );
    const log = (await response.json()) as RequestLog;
    const accepted = log.data.filter((entry) => entry.status === 200).map((entry) => entry.at);
    const emulatorSpanMs = Math.max(1, Math.max(...accepted) - Math.min(...accepted));
    const emulatorRate = ((accepted.length - 1) * 1000) / emulatorSpanMs;
    const pushRate = (pushed * 1000) / Math.max(1, pushEndedMs - pushStartedMs);
    const window0 = result.windows[0];

    out('');
    out(`aggregate phase (ClickHouse GROUP BY → ${window0.armed} pending ledger rows): ${aggregateMs} ms`);
    out(`push phase: ${pushed} meter events in ${pushEndedMs - pushStartedMs} ms`);
    out(`  achieved push rate (worker, incl. page round trips): ${pushRate.toFixed(0)}/s = ${(pushRate / opts.rate).toFixed(3)} × limit`);
    out(
      `  accepted rate seen by the emulator (first → last 200): ${emulatorRate.toFixed(0)}/s = ${(emulatorRate / opts.rate).toFixed(3)} × limit`,
    );
    out(`  emulator answers: ${JSON.stringify(log.counts.byStatus)}`);
    const calls = (await metrics.pushDuration.get()).values;
    const callCount = calls.find((v) => v.metricName === 'stripe_sync_push_duration_seconds_count' && v.labels.result === 'ok')?.value ?? 0;
    const callSum = calls.find((v) => v.metricName === 'stripe_sync_push_duration_seconds_sum' && v.labels.result === 'ok')?.value ?? 0;
    out(`  mean Stripe call latency: ${((callSum / Math.max(1, callCount)) * 1000).toFixed(1)} ms over ${callCount} accepted calls`);
    const handled = log.data.map((entry) => entry.durationMs).sort((a, b) => a - b);
    out(
      `  emulator handling time: p50 ${handled[Math.floor(handled.length / 2)]} ms, p99 ${handled[Math.floor(handled.length * 0.99)]} ms`,
    );
    out(
      `  worker event-loop delay: p50 ${(loopDelay.percentile(50) / 1e6).toFixed(1)} ms, p99 ${(loopDelay.percentile(99) / 1e6).toFixed(1)} ms`,
    );
    out(`whole workflow: ${totalMs} ms; completed ${window0.completed}, failed ${window0.failed}`);
    out(`worker RSS: start ${mb(rss.start)}, middle ${mb(rss.middle)}, end ${mb(rss.end)}, peak ${mb(rss.peak)}`);
    out(`worker live heap after a full GC: start ${mb(live.start)}, middle ${mb(live.middle)}, end ${mb(live.end)}`);
    out(`  peak while aggregating ${mb(rss.aggregatePeak)}, while pushing ${mb(rss.pushPeak)}; pushed ${quarters.join(', ')}`);
    out(
      `Σ Stripe ${stripeSum} vs Σ ClickHouse ${clickhouse.total}: ${stripeSum === BigInt(clickhouse.total.replace(/\.0*$/, '')) ? 'equal' : 'DIFFERENT'}`,
    );
    out(
      JSON.stringify({
        ...opts,
        aggregate_ms: aggregateMs,
        push_ms: pushEndedMs - pushStartedMs,
        push_rate_ratio: Number((pushRate / opts.rate).toFixed(3)),
        emulator_rate_ratio: Number((emulatorRate / opts.rate).toFixed(3)),
        live_heap_mb: {
          start: Math.round(live.start / 2 ** 20),
          middle: Math.round(live.middle / 2 ** 20),
          end: Math.round(live.end / 2 ** 20),
        },
        rss_mb: {
          start: Math.round(rss.start / 2 ** 20),
          middle: Math.round(rss.middle / 2 ** 20),
          end: Math.round(rss.end / 2 ** 20),
          peak: Math.round(rss.peak / 2 ** 20),
          aggregate_peak: Math.round(rss.aggregatePeak / 2 ** 20),
          push_peak: Math.round(rss.pushPeak / 2 ** 20),
        },
        statuses: log.counts.byStatus,
        totals_equal: stripeSum === BigInt(clickhouse.total.replace(/\.0*$/, '')),
      }),
    );
    if (process.env.BENCH_LOGS === '1') for (const line of harness.logs) process.stdout.write(line);
  } finally {
    await harness.close();
    emulator.child.kill('SIGTERM');
  }
}

main().catch((error: unknown) => {
  process.stderr.write(`${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  process.exit(1);
});
