/**
 * Replicas benchmark (issue 12): two sync-worker processes push one Stripe account at once (two tenants using the
 * same key, each its own window of generated usage) through the real workflow into the rate-limited emulator. The
 * account's budget is shared in Postgres, so together they should run at the limit (goal 0.9–1.0 × limit) without
 * Stripe answering 429 (goal 0 at steady state), each getting an even share.
 *
 *   npm run bench:replicas -- [--aggregates 20000] [--rate 1000] [--concurrency 64] [--page 2000]
 *
 * `--aggregates` is per replica; each option can also come from BENCH_<NAME>.
 */
import { sharedBudgetBurst } from '@flexsync/stripe-client';
import { HOUR_MS, hourAgo, runReplica, testKeyring } from '@flexsync/sync-testing';
import { uniqueTenant } from '@flexsync/testing';
import { publishReport } from './lib/bench-report';
import {
  acceptedRate,
  benchNotes,
  busiestSecond,
  emulatorCalls,
  emulatorSum,
  numberOption,
  out,
  runBench,
  seedBenchWindow,
  statusCounts,
  withPushStack,
} from './push-kit';

async function main(): Promise<void> {
  const argv = process.argv.slice(2);
  const aggregates = numberOption(argv, 'aggregates', 20_000);
  const rate = numberOption(argv, 'rate', 1_000);
  const concurrency = numberOption(argv, 'concurrency', 64);
  const page = numberOption(argv, 'page', 2_000);
  const keyring = testKeyring();
  await withPushStack({ rate }, { keyring }, async ({ apiKey, emulator, harness }) => {
    const window = hourAgo(2);
    const tenants = [uniqueTenant('replica_a'), uniqueTenant('replica_b')];
    let expected = 0n;
    for (const tenant of tenants) {
      const seeded = await seedBenchWindow(harness, tenant, apiKey, window, { aggregates, rows: aggregates * 10 });
      expected += BigInt(seeded.total);
    }
    out(`replicas: 2 worker processes × ${aggregates} aggregates on one account, limit ${rate}/s`);
    const reports = await Promise.all(
      tenants.map((tenant) =>
        runReplica({
          emulatorUrl: emulator.url,
          keyring,
          ...tenant,
          timeFrom: window.toISOString(),
          timeTo: new Date(window.getTime() + HOUR_MS).toISOString(),
          writesPerSecond: rate,
          concurrency,
          pageSize: page,
        }),
      ),
    );
    const calls = await emulatorCalls(emulator, apiKey, '/v1/billing/meter_events');
    const combined = acceptedRate(calls) / rate;
    const overlapFrom = Math.max(...reports.map((report) => report.pushStartedMs));
    const overlapTo = Math.min(...reports.map((report) => report.pushEndedMs));
    const steady = calls.filter((call) => call.at >= overlapFrom + 2_000 && call.at <= overlapTo);
    const received = await emulatorSum(emulator, apiKey);
    const shares = reports.map((report) => (report.pushed * 1000) / Math.max(1, report.pushEndedMs - report.pushStartedMs) / rate);
    publishReport({
      name: 'replicas',
      title: 'Replicas: two worker processes on one Stripe account',
      command: `npm run bench:replicas -- --aggregates ${aggregates} --rate ${rate} --concurrency ${concurrency} --page ${page}`,
      columns: [
        'aggregates per replica',
        'combined accepted ÷ limit',
        'replica A ÷ limit',
        'replica B ÷ limit',
        '429s (all)',
        '429s (steady state)',
        'busiest second',
        'emulator answers',
      ],
      rows: [
        [
          aggregates,
          combined.toFixed(3),
          shares[0].toFixed(3),
          shares[1].toFixed(3),
          calls.filter((call) => call.status === 429).length,
          steady.filter((call) => call.status === 429).length,
          busiestSecond(calls.map((call) => call.at)),
          Object.entries(statusCounts(calls))
            .map(([status, count]) => `${status}: ${count}`)
            .join(', '),
        ],
      ],
      notes: [
        `Σ Stripe ${received} vs Σ ClickHouse ${expected}: ${received === expected ? 'equal' : 'DIFFERENT'}.`,
        `Goal: combined 0.9–1.0 × limit, 0 × 429 at steady state (from 2 s into the overlap of both pushes). Limit ${rate}/s; busiest second may exceed it by one burst (${sharedBudgetBurst(rate)}, a quarter second's worth).`,
        ...benchNotes(),
      ],
    });
  });
}

runBench(main);
