/**
 * One sync-worker replica in a process of its own, for the specs and benchmarks that run several against one Stripe
 * account: runs `StripeEventSyncWorkflow` for one tenant+environment through the real pipeline (its own Postgres
 * pool, rate limiter and locks) and prints one JSON line with the result and when its pushes started and ended.
 *
 *   node tools/dev/run-ts.js libs/testing/sync/src/replica-worker.ts '<ReplicaJob as JSON>'
 */
import type { StripeEventSyncResult } from '@flexsync/sync-contracts';
import { stackEnv } from '@flexsync/testing';
import { timePushes } from './push-timing';
import { SyncHarness } from './sync-harness';

export interface ReplicaJob {
  emulatorUrl: string;
  /** The keyring the parent sealed the tenant's key with. */
  keyring: { keys: string; currentKeyId: string };
  tenantId: string;
  environmentId: string;
  timeFrom: string;
  timeTo: string;
  writesPerSecond: number;
  concurrency: number;
  pageSize: number;
  streamAboveRows?: number;
}

export interface ReplicaReport {
  result: StripeEventSyncResult;
  pushStartedMs: number;
  pushEndedMs: number;
  pushed: number;
}

// stripe-node's captured stacks would be formatted by run-ts' source-map support on every request; a deployed
// worker runs compiled JavaScript without it.
delete (Error as { prepareStackTrace?: unknown }).prepareStackTrace;

async function main(): Promise<void> {
  const job = JSON.parse(process.argv[2] ?? '') as ReplicaJob;
  const harness = await SyncHarness.start(stackEnv(), job.emulatorUrl, job.keyring);
  harness.workflowExecutionTimeout = '30 minutes';
  try {
    const { activities } = harness.pipeline((settings) => ({
      ...settings,
      stripe: { ...settings.stripe, timeoutMs: 20_000, testWritesPerSecond: job.writesPerSecond },
      push: {
        ...settings.push,
        pageSize: job.pageSize,
        concurrency: job.concurrency,
        maxAttempts: 8,
        retryBaseMs: 200,
        retryMaxMs: 2_000,
        ...(job.streamAboveRows === undefined ? {} : { streamAboveRows: job.streamAboveRows }),
      },
    }));
    const { activities: timed, timing } = timePushes(activities);
    const result = await harness.runSync(
      { tenantId: job.tenantId, environmentId: job.environmentId, timeFrom: job.timeFrom, timeTo: job.timeTo },
      timed,
    );
    const report: ReplicaReport = { result, pushStartedMs: timing.startedMs, pushEndedMs: timing.endedMs, pushed: timing.pushed };
    process.stdout.write(`${JSON.stringify(report)}\n`);
  } finally {
    await harness.close();
  }
}

main().catch((error: unknown) => {
  process.stderr.write(`${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  process.exit(1);
});
