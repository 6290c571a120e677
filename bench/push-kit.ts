/**
 * What the push, replicas and v2 benchmarks share: the Stripe emulator in a process of its own, one window of
 * generated usage in ClickHouse for many customers, and the emulator's own view of the calls it answered.
 */
import { ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { quoteString } from '@flexsync/clickhouse';
import { accountIdForKey } from '@flexsync/stripe-emulator';
import { SyncHarness, testKeyring } from '@flexsync/sync-testing';
import { freePort, REPO_ROOT, stackEnv, type TestTenant } from '@flexsync/testing';

const GENERATE_CHUNK_ROWS = 500_000;

export const out = (line: string): boolean => process.stdout.write(`${line}\n`);
export const mb = (bytes: number): number => Math.round(bytes / 2 ** 20);

/** `--name value` or BENCH_<NAME>; a comma-separated list where `list` is set. */
export function numberOption(argv: string[], name: string, fallback: number): number {
  const index = argv.indexOf(`--${name}`);
  const raw = index >= 0 ? argv[index + 1] : process.env[`BENCH_${name.toUpperCase()}`];
  const parsed = raw === undefined ? fallback : Number(raw);
  if (!Number.isInteger(parsed) || parsed <= 0) throw new Error(`--${name} must be a positive whole number`);
  return parsed;
}

export function listOption(argv: string[], name: string, fallback: number[]): number[] {
  const index = argv.indexOf(`--${name}`);
  const raw = index >= 0 ? argv[index + 1] : process.env[`BENCH_${name.toUpperCase()}`];
  if (raw === undefined) return fallback;
  const values = raw.split(',').map(Number);
  if (values.some((value) => !Number.isInteger(value) || value <= 0)) throw new Error(`--${name} must be positive whole numbers`);
  return values;
}

/** Runs a benchmark's `main`; a failure is printed with its stack and exits 1. */
export function runBench(main: () => Promise<void>): void {
  main().catch((error: unknown) => {
    process.stderr.write(`${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
    process.exit(1);
  });
}

/** The report's notes every benchmark ends with: `BENCH_NOTE`, when set (e.g. what else ran on the machine). */
export function benchNotes(): string[] {
  return process.env.BENCH_NOTE ? [process.env.BENCH_NOTE] : [];
}

export interface PushBenchStack {
  /** A fresh test key the emulator knows. */
  apiKey: string;
  emulator: BenchEmulator;
  harness: SyncHarness;
}

/**
 * Runs `bench` against the emulator in a process of its own (a fresh key, at `limits`) and a sync harness on it;
 * both are stopped whatever happens.
 */
export async function withPushStack<T>(
  limits: { rate: number; streamRate?: number; requestLogLimit?: number },
  options: { keyring?: ReturnType<typeof testKeyring>; workflowExecutionTimeout?: SyncHarness['workflowExecutionTimeout'] },
  bench: (stack: PushBenchStack) => Promise<T>,
): Promise<T> {
  const apiKey = `sk_test_bench${randomBytes(12).toString('hex')}`;
  const emulator = await startEmulatorProcess(apiKey, limits);
  try {
    const harness = await SyncHarness.start(stackEnv(), emulator.url, options.keyring);
    if (options.workflowExecutionTimeout !== undefined) harness.workflowExecutionTimeout = options.workflowExecutionTimeout;
    try {
      return await bench({ apiKey, emulator, harness });
    } finally {
      await harness.close();
    }
  } finally {
    emulator.child.kill('SIGTERM');
  }
}

export interface BenchEmulator {
  url: string;
  child: ChildProcess;
}

/** The emulator in a process of its own, so its CPU and memory do not count as the worker's. */
async function startEmulatorProcess(
  apiKey: string,
  limits: { rate: number; streamRate?: number; requestLogLimit?: number },
): Promise<BenchEmulator> {
  const port = await freePort();
  const child = spawn(process.execPath, [join(REPO_ROOT, 'tools/dev/run-ts.js'), join(REPO_ROOT, 'tools/stripe-emulator/src/main.ts')], {
    cwd: REPO_ROOT,
    env: {
      ...process.env,
      STRIPE_EMULATOR_PORT: String(port),
      STRIPE_EMULATOR_KEYS: apiKey,
      STRIPE_EMULATOR_METERS: 'bench_calls',
      STRIPE_EMULATOR_RATE_LIMIT_PER_SECOND: String(limits.rate),
      ...(limits.streamRate === undefined ? {} : { STRIPE_EMULATOR_STREAM_RATE_LIMIT_PER_SECOND: String(limits.streamRate) }),
      ...(limits.requestLogLimit === undefined ? {} : { STRIPE_EMULATOR_REQUEST_LOG_LIMIT: String(limits.requestLogLimit) }),
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

/**
 * Seeds `tenant` (sealed key, one meter, `aggregates` mapped customers) and generates `rows` usage rows in one hour
 * inside ClickHouse. Returns ClickHouse's own total, to compare with what Stripe received.
 */
export async function seedBenchWindow(
  harness: SyncHarness,
  tenant: TestTenant,
  apiKey: string,
  window: Date,
  sizes: { aggregates: number; rows: number },
): Promise<{ total: string; generateMs: number }> {
  // As the connection test stores it: the account id keys the shared rate budget.
  await harness.seedTenant(tenant, {
    apiKey,
    stripeAccountId: accountIdForKey(apiKey),
    meters: [{ meterId: 'meter_bench', eventName: 'bench_calls' }],
  });
  await harness.db.query(
    `INSERT INTO customer_integration_mappings (tenant_id, environment_id, customer_id, provider_type, provider_customer_id)
     SELECT $1, $2, 'cust_' || n, 'stripe', 'cus_bench_' || n FROM generate_series(0, $3 - 1) AS n`,
    [tenant.tenantId, tenant.environmentId, sizes.aggregates],
  );
  const started = Date.now();
  const startSeconds = window.getTime() / 1000;
  // In chunks, so each INSERT … SELECT stays well inside the client's request timeout on a busy machine.
  for (let offset = 0; offset < sizes.rows; offset += GENERATE_CHUNK_ROWS) {
    await harness.clickhouse.command({
      query: `INSERT INTO events_processed (tenant_id, environment_id, event_id, customer_id, meter_id, event_type, qty_billable, processed_at)
              SELECT ${quoteString(tenant.tenantId)}, ${quoteString(tenant.environmentId)}, toString(number),
                     concat('cust_', toString(number % ${sizes.aggregates})), 'meter_bench', 'increment',
                     toDecimal128(number % 10 + 1, 12), toDateTime(${startSeconds} + number % 3600)
              FROM numbers(${offset}, ${Math.min(GENERATE_CHUNK_ROWS, sizes.rows - offset)})`,
    });
  }
  const generateMs = Date.now() - started;
  const measured = await harness.clickhouse.query({
    query: `SELECT toString(sum(qty_billable)) AS total FROM events_processed
            WHERE tenant_id = ${quoteString(tenant.tenantId)} AND environment_id = ${quoteString(tenant.environmentId)}`,
    format: 'JSONEachRow',
  });
  const [{ total }] = await measured.json<{ total: string }>();
  return { total: total.replace(/\.0*$/, ''), generateMs };
}

export interface LoggedCall {
  at: number;
  status: number;
  durationMs: number;
}

/** The calls the emulator answered for the account under `pathPrefix`. */
export async function emulatorCalls(emulator: BenchEmulator, apiKey: string, pathPrefix: string): Promise<LoggedCall[]> {
  const response = await fetch(`${emulator.url}/__admin/requests?account=${encodeURIComponent(apiKey)}&path_prefix=${pathPrefix}`);
  return ((await response.json()) as { data: LoggedCall[] }).data;
}

/** Σ of every total the emulator holds for the account. */
export async function emulatorSum(emulator: BenchEmulator, apiKey: string): Promise<bigint> {
  const response = await fetch(`${emulator.url}/__admin/totals?account=${encodeURIComponent(apiKey)}`);
  const totals = ((await response.json()) as { data: { totalExact: string }[] }).data;
  return totals.reduce((sum, total) => sum + BigInt(total.totalExact), 0n);
}

/** Accepted calls per second between the first and the last one the emulator accepted. */
export function acceptedRate(calls: readonly LoggedCall[], okStatus = 200): number {
  // A loop, not Math.max(...): a million calls as arguments overflow the stack.
  let count = 0;
  let first = Infinity;
  let last = -Infinity;
  for (const call of calls) {
    if (call.status !== okStatus) continue;
    count += 1;
    first = Math.min(first, call.at);
    last = Math.max(last, call.at);
  }
  if (count < 2) return 0;
  return ((count - 1) * 1000) / Math.max(1, last - first);
}

/** Most calls in any one-second span. */
export function busiestSecond(arrivals: readonly number[]): number {
  const sorted = [...arrivals].sort((a, b) => a - b);
  let busiest = 0;
  let from = 0;
  for (let to = 0; to < sorted.length; to += 1) {
    while (sorted[to] - sorted[from] >= 1000) from += 1;
    busiest = Math.max(busiest, to - from + 1);
  }
  return busiest;
}

export function statusCounts(calls: readonly LoggedCall[]): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const call of calls) counts[call.status] = (counts[call.status] ?? 0) + 1;
  return counts;
}
