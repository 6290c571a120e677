/**
 * v2 vs v1 benchmark (issue 12): the same window (same aggregates, same generated usage, two tenants on one
 * account) pushed once through `POST /v1/billing/meter_events` and once through the v2 meter event stream, through
 * the real workflow into the emulator at its limits (v1 `--rate`, stream `--stream-rate` requests/s). Goal: the
 * stream ≥ 5× faster.
 *
 *   npm run bench:v2 -- [--aggregates 20000] [--rate 1000] [--stream-rate 10000] [--page 2000]
 */
import { HOUR_MS, hourAgo, SyncHarness, timePushes } from '@flexsync/sync-testing';
import { type TestTenant, uniqueTenant } from '@flexsync/testing';
import { publishReport } from './lib/bench-report';
import {
  type BenchEmulator,
  benchNotes,
  emulatorCalls,
  emulatorSum,
  numberOption,
  out,
  runBench,
  seedBenchWindow,
  statusCounts,
  withPushStack,
} from './push-kit';

delete (Error as { prepareStackTrace?: unknown }).prepareStackTrace;

interface PathFigures {
  path: string;
  pushMs: number;
  pushed: number;
  requests: Record<string, number>;
}

async function pushWindow(
  harness: SyncHarness,
  emulator: BenchEmulator,
  apiKey: string,
  tenant: TestTenant,
  window: Date,
  opts: { rate: number; streamRate: number; page: number; stream: boolean },
): Promise<PathFigures> {
  const { activities } = harness.pipeline((settings) => ({
    ...settings,
    stripe: { ...settings.stripe, timeoutMs: 20_000, testWritesPerSecond: opts.rate, streamRequestsPerSecond: opts.streamRate },
    push: {
      ...settings.push,
      pageSize: opts.page,
      concurrency: 64,
      maxAttempts: 8,
      retryBaseMs: 200,
      retryMaxMs: 2_000,
      ...(opts.stream ? { streamAboveRows: 1_000, streamConcurrency: 4 } : {}),
    },
  }));
  const { activities: timed, timing } = timePushes(activities);
  await harness.runSync({ ...tenant, timeFrom: window.toISOString(), timeTo: new Date(window.getTime() + HOUR_MS).toISOString() }, timed);
  const prefix = opts.stream ? '/v2/billing/meter_event_stream' : '/v1/billing/meter_events';
  const figures = {
    path: opts.stream ? 'v2 stream' : 'v1 meter_events',
    pushMs: timing.endedMs - timing.startedMs,
    pushed: timing.pushed,
    requests: statusCounts(await emulatorCalls(emulator, apiKey, prefix)),
  };
  out(`  ${JSON.stringify(figures)}`);
  return figures;
}

async function main(): Promise<void> {
  const argv = process.argv.slice(2);
  const aggregates = numberOption(argv, 'aggregates', 20_000);
  const rate = numberOption(argv, 'rate', 1_000);
  const streamRate = numberOption(argv, 'stream-rate', 10_000);
  const page = numberOption(argv, 'page', 2_000);
  await withPushStack({ rate, streamRate }, { workflowExecutionTimeout: '60 minutes' }, async ({ apiKey, emulator, harness }) => {
    const window = hourAgo(2);
    out(`v2 vs v1: ${aggregates} aggregates, v1 limit ${rate}/s, stream limit ${streamRate} requests/s`);
    const results: PathFigures[] = [];
    let expected = 0n;
    for (const stream of [false, true]) {
      const tenant = uniqueTenant(stream ? 'bench_v2' : 'bench_v1');
      const seeded = await seedBenchWindow(harness, tenant, apiKey, window, { aggregates, rows: aggregates * 10 });
      expected += BigInt(seeded.total);
      results.push(await pushWindow(harness, emulator, apiKey, tenant, window, { rate, streamRate, page, stream }));
    }
    const received = await emulatorSum(emulator, apiKey);
    const [v1, v2] = results;
    publishReport({
      name: 'v2',
      title: 'v2 meter event stream vs v1 meter events on the same window',
      command: `npm run bench:v2 -- --aggregates ${aggregates} --rate ${rate} --stream-rate ${streamRate} --page ${page}`,
      columns: ['path', 'aggregates', 'push time', 'events/s', 'emulator answers'],
      rows: results.map((r) => [
        r.path,
        r.pushed,
        `${(r.pushMs / 1000).toFixed(1)} s`,
        Math.round((r.pushed * 1000) / Math.max(1, r.pushMs)),
        Object.entries(r.requests)
          .map(([status, count]) => `${status}: ${count}`)
          .join(', '),
      ]),
      notes: [
        `Speed-up v2 ÷ v1: ${(v1.pushMs / Math.max(1, v2.pushMs)).toFixed(1)}× (goal ≥ 5×).`,
        `Σ Stripe ${received} vs Σ ClickHouse ${expected}: ${received === expected ? 'equal' : 'DIFFERENT'}.`,
        ...benchNotes(),
      ],
    });
  });
}

runBench(main);
