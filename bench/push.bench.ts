/**
 * Push benchmark (issue 12, design "Performance targets"): one window with many aggregates, generated inside
 * ClickHouse, through the real workflow, ledger and activities into the Stripe emulator (its own process,
 * rate-limited). Per size: ClickHouse aggregation time, the achieved push rate ÷ the emulator's limit, the worker's
 * event-loop delay, RSS and live heap. Prints the table and writes its section of bench/RESULTS.md.
 *
 *   npm run bench:push -- [--aggregates 10000,100000] [--rows-per-aggregate 50] [--rate 1000] [--concurrency 64] [--page 2000]
 *
 * Each option can also come from BENCH_<NAME>. The Stripe emulator is single-threaded: on a 2-core machine its own
 * ceiling is ~1,300 calls/s, so limits near that measure the emulator, not the worker.
 */
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import type { SyncWorkerActivities } from '@flexsync/sync-contracts';
import { HOUR_MS, hourAgo, SyncHarness } from '@flexsync/sync-testing';
import { uniqueTenant } from '@flexsync/testing';
import { publishReport } from './lib/bench-report';
import {
  acceptedRate,
  type BenchEmulator,
  benchNotes,
  emulatorCalls,
  emulatorSum,
  listOption,
  mb,
  numberOption,
  out,
  runBench,
  seedBenchWindow,
  statusCounts,
  withPushStack,
} from './push-kit';

interface PushFigures {
  aggregates: number;
  rows: number;
  aggregateMs: number;
  pushMs: number;
  workerRatio: number;
  emulatorRatio: number;
  statuses: Record<string, number>;
  loopP99Ms: number;
  /** The worker process' CPU time (all threads) during the push, per pushed aggregate. */
  cpuMsPerPush: number;
  rss: { start: number; peak: number; end: number };
  heap: { start: number; middle: number; end: number };
  totalsEqual: boolean;
}

// run-ts.js loads TypeScript through a hook that installs source-map-support, which then formats every stack
// stripe-node captures per request. The worker runs compiled JavaScript without it in production, so the benchmark
// measures it that way.
delete (Error as { prepareStackTrace?: unknown }).prepareStackTrace;

// RSS alone mixes live memory with garbage V8 has not collected yet; a full GC before each sample shows what the
// worker actually retains as the number of pushed aggregates grows.
setFlagsFromString('--expose-gc');
const collectGarbage = runInNewContext('gc') as () => void;
function liveHeap(): number {
  collectGarbage();
  return process.memoryUsage().heapUsed;
}

async function pushOnce(
  harness: SyncHarness,
  emulator: BenchEmulator,
  apiKey: string,
  opts: { aggregates: number; rows: number; rate: number; concurrency: number; page: number },
): Promise<PushFigures> {
  const tenant = uniqueTenant('bench');
  const window = hourAgo(2);
  out(
    `push: ${opts.aggregates} aggregates from ${opts.rows} rows, limit ${opts.rate}/s, concurrency ${opts.concurrency}, page ${opts.page}`,
  );
  const seeded = await seedBenchWindow(harness, tenant, apiKey, window, opts);
  out(`  generated ${opts.rows} rows in ClickHouse in ${seeded.generateMs} ms`);
  const { activities } = harness.pipeline((settings) => ({
    ...settings,
    stripe: { ...settings.stripe, timeoutMs: 20_000, testWritesPerSecond: opts.rate },
    push: { ...settings.push, pageSize: opts.page, concurrency: opts.concurrency, maxAttempts: 8, retryBaseMs: 200, retryMaxMs: 2_000 },
    aggregatePageSize: 1_000,
  }));
  const before = await emulatorCalls(emulator, apiKey, '/v1/billing/meter_events');
  const heap = { start: liveHeap(), middle: 0, end: 0 };
  const rss = { start: process.memoryUsage().rss, peak: 0, end: 0 };
  const sampler = setInterval(() => {
    rss.peak = Math.max(rss.peak, process.memoryUsage().rss);
  }, 250);
  const loopDelay = monitorEventLoopDelay({ resolution: 10 });
  loopDelay.enable();
  let aggregateMs = 0;
  let pushStartedMs = 0;
  let pushEndedMs = 0;
  let pushed = 0;
  let cpuAtStart: NodeJS.CpuUsage | undefined;
  let cpuAtEnd: NodeJS.CpuUsage | undefined;
  const timed: SyncWorkerActivities = {
    ...activities,
    AggregateEventsActivity: async (input) => {
      const started = Date.now();
      const summary = await activities.AggregateEventsActivity(input);
      aggregateMs = Date.now() - started;
      return summary;
    },
    SyncToStripeActivity: async (input) => {
      pushStartedMs ||= Date.now();
      cpuAtStart ??= process.cpuUsage();
      const page = await activities.SyncToStripeActivity(input);
      pushEndedMs = Date.now();
      cpuAtEnd = process.cpuUsage(cpuAtStart);
      const previous = pushed;
      pushed += page.completed.ids.length;
      if (previous < opts.aggregates / 2 && pushed >= opts.aggregates / 2) heap.middle = liveHeap();
      return page;
    },
  };
  await harness.runSync({ ...tenant, timeFrom: window.toISOString(), timeTo: new Date(window.getTime() + HOUR_MS).toISOString() }, timed);
  loopDelay.disable();
  clearInterval(sampler);
  rss.end = process.memoryUsage().rss;
  heap.end = liveHeap();

  const calls = (await emulatorCalls(emulator, apiKey, '/v1/billing/meter_events')).slice(before.length);
  const pushMs = pushEndedMs - pushStartedMs;
  const logged = calls.filter((call) => call.status === 200).length;
  if (logged !== pushed) throw new Error(`the emulator logged ${logged} accepted calls for ${pushed} pushes: its request log is too short`);
  const figures: PushFigures = {
    aggregates: opts.aggregates,
    rows: opts.rows,
    aggregateMs,
    pushMs,
    workerRatio: (pushed * 1000) / Math.max(1, pushMs) / opts.rate,
    emulatorRatio: acceptedRate(calls) / opts.rate,
    statuses: statusCounts(calls),
    loopP99Ms: loopDelay.percentile(99) / 1e6,
    cpuMsPerPush: cpuAtEnd ? (cpuAtEnd.user + cpuAtEnd.system) / 1000 / Math.max(1, pushed) : 0,
    rss,
    heap,
    totalsEqual: pushed === opts.aggregates,
  };
  out(`  ${JSON.stringify(figures)}`);
  return figures;
}

async function main(): Promise<void> {
  const argv = process.argv.slice(2);
  const sizes = listOption(argv, 'aggregates', [10_000, 100_000]);
  const perAggregate = numberOption(argv, 'rows-per-aggregate', 50);
  const rate = numberOption(argv, 'rate', 1_000);
  const concurrency = numberOption(argv, 'concurrency', 64);
  const page = numberOption(argv, 'page', 2_000);
  // The emulator's request log must hold every run's calls, or the emulator-side figures would read a truncated log.
  const requestLogLimit = sizes.reduce((sum, size) => sum + size, 0) + 10_000;
  await withPushStack({ rate, requestLogLimit }, { workflowExecutionTimeout: '60 minutes' }, async ({ apiKey, emulator, harness }) => {
    const results: PushFigures[] = [];
    let expected = 0n;
    for (const aggregates of sizes) {
      const tenantTotal = await pushOnce(harness, emulator, apiKey, {
        aggregates,
        rows: aggregates * perAggregate,
        rate,
        concurrency,
        page,
      });
      results.push(tenantTotal);
    }
    // Every run pushed into the same emulator account: Σ Stripe must be Σ of every window generated.
    for (const size of sizes) for (let n = 0; n < size * perAggregate; n += 1) expected += BigInt((n % 10) + 1);
    const received = await emulatorSum(emulator, apiKey);
    publishReport({
      name: 'push',
      title: 'Push: one window through the real workflow into the rate-limited emulator',
      command: `npm run bench:push -- --aggregates ${sizes.join(',')} --rate ${rate} --concurrency ${concurrency} --page ${page}`,
      columns: [
        'aggregates',
        'rows',
        'ClickHouse aggregation',
        'push time',
        'achieved ÷ limit (worker)',
        'accepted ÷ limit (emulator)',
        'emulator answers',
        'event-loop p99',
        'worker CPU per push',
        'RSS start / peak / end',
        'live heap start / middle / end',
      ],
      rows: results.map((r) => [
        r.aggregates,
        r.rows,
        `${(r.aggregateMs / 1000).toFixed(1)} s`,
        `${(r.pushMs / 1000).toFixed(1)} s`,
        r.workerRatio.toFixed(3),
        r.emulatorRatio.toFixed(3),
        Object.entries(r.statuses)
          .map(([status, count]) => `${status}: ${count}`)
          .join(', '),
        `${r.loopP99Ms.toFixed(0)} ms`,
        `${r.cpuMsPerPush.toFixed(2)} ms`,
        `${mb(r.rss.start)} / ${mb(r.rss.peak)} / ${mb(r.rss.end)} MB`,
        `${mb(r.heap.start)} / ${mb(r.heap.middle)} / ${mb(r.heap.end)} MB`,
      ]),
      notes: [
        `Σ Stripe ${received} vs Σ ClickHouse ${expected}: ${received === expected ? 'equal' : 'DIFFERENT'}.`,
        `Limit ${rate}/s (emulator in its own process), concurrency ${concurrency}, page ${page}. Goal: achieved ÷ limit ≥ 0.9 at 100,000 aggregates.`,
        `Worker CPU per push × limit = the share of one core the worker needs at the limit (all threads: pipeline, stripe-node, Temporal).`,
        ...benchNotes(),
      ],
    });
  });
}

runBench(main);
