/**
 * Operator API benchmark: latency of the manual-sync API (`POST /v1/stripe/sync/manual`) and the status endpoint
 * (`GET /v1/stripe/sync/status`) of sync-orchestrator under N concurrent operators (default 50), each acting on a
 * tenant of its own with an operator token (`X-Tenant-ID`/`X-Environment-ID`), as `flexsync` does.
 *
 * sync-orchestrator runs from source as a child process on the real local stack (Postgres, Temporal; LOG_LEVEL=warn,
 * its hourly schedule off). Manual syncs: each operator cycles through three one-hour ranges, so each tenant has
 * three runs going (under STRIPE_MANUAL_SYNC_MAX_RUNNING) and later requests join them — every answer should be 202;
 * anything else is counted as an error. No worker polls the task queue; the workflows started are terminated at the
 * end. Then the status endpoint under the same operators. Not part of `npm test`.
 *
 *   npm run bench:operator-api -- [--seconds 10] [--operators 50] [--warmup 2]
 */
import { randomUUID } from 'node:crypto';
import { Pool } from 'pg';
import { Connection, Client as TemporalClient } from '@temporalio/client';
import { mintOperatorToken } from '@flexsync/auth';
import { stackEnv, uniqueTenant, type TestTenant } from '@flexsync/testing';
import { publishReport } from './lib/bench-report';
import { closedLoop, intOption, latencyFigures, type HttpCall, type LatencyFigures, type LoadResult } from './lib/http-load';
import {
  cpuBetween,
  exitedEarly,
  loadAverage,
  sampleCpu,
  spawnAppFromSource,
  stopService,
  waitUntilReady,
  type CpuFigures,
  type ServiceProcess,
} from './lib/service-process';

const HOUR_MS = 3_600_000;
const out = (line: string): boolean => process.stdout.write(`${line}\n`);

/** `[from, to)` of the hour `hoursAgo` hours before the current one, as the API wants it (UTC, ending in Z). */
function hourRange(hoursAgo: number): { time_from: string; time_to: string } {
  const hour = Math.floor(Date.now() / HOUR_MS) * HOUR_MS;
  const iso = (ms: number): string => new Date(ms).toISOString().replace('.000Z', 'Z');
  return { time_from: iso(hour - hoursAgo * HOUR_MS), time_to: iso(hour - (hoursAgo - 1) * HOUR_MS) };
}

interface Phase {
  result: LoadResult;
  figures: LatencyFigures;
  cpu: CpuFigures;
}

async function main(): Promise<void> {
  const argv = process.argv.slice(2);
  const seconds = intOption(argv, 'seconds', 10, 1, 60);
  const operators = intOption(argv, 'operators', 50, 1, 500);
  const warmup = intOption(argv, 'warmup', 2, 0, 10);
  const env = stackEnv();
  const auth = { jwtSecret: `bench-operator-${randomUUID()}`, issuer: 'flexsync-bench', audience: 'flexsync-api' };
  const pool = new Pool({ connectionString: env.DATABASE_URL, max: 2 });
  const tenants: TestTenant[] = Array.from({ length: operators }, (_, i) => uniqueTenant(`bench_op${i}`));
  const token = await mintOperatorToken(auth, { subject: 'bench-operator@flexprice.test', ttlSeconds: 3600 });
  const headersFor = (tenant: TestTenant): Record<string, string> => ({
    Authorization: `Bearer ${token}`,
    'X-Tenant-ID': tenant.tenantId,
    'X-Environment-ID': tenant.environmentId,
  });
  const ranges = [hourRange(6), hourRange(5), hourRange(4)];
  const workflows = new Set<string>();
  let orchestrator: ServiceProcess | undefined;

  try {
    for (const tenant of tenants) {
      await pool.query(
        `INSERT INTO stripe_tenant_configs (tenant_id, environment_id, api_key_ciphertext, api_key_key_id, api_key_masked, sync_enabled, aggregation_window_minutes)
         VALUES ($1, $2, 'sealed', 'k1', 'sk_test_…bench', true, 60)`,
        [tenant.tenantId, tenant.environmentId],
      );
    }
    orchestrator = await spawnAppFromSource('sync-orchestrator', {
      DATABASE_URL: env.DATABASE_URL,
      TEMPORAL_ADDRESS: env.TEMPORAL_ADDRESS,
      TEMPORAL_NAMESPACE: env.TEMPORAL_NAMESPACE,
      AUTH_JWT_SECRET: auth.jwtSecret,
      AUTH_JWT_ISSUER: auth.issuer,
      AUTH_JWT_AUDIENCE: auth.audience,
      STRIPE_SYNC_SCHEDULE_ENABLED: 'false',
      LOG_LEVEL: 'warn',
    });
    const bootMs = await waitUntilReady(orchestrator, '/health/ready', 60_000);
    const server = orchestrator;
    out(
      `operator API benchmark: ${operators} operators, ${seconds} s per endpoint after ${warmup} s warm-up; sync-orchestrator ready in ${bootMs} ms`,
    );

    const manualCall = (worker: number, seq: number): HttpCall => {
      const body = Buffer.from(JSON.stringify(ranges[seq % ranges.length]));
      return {
        method: 'POST',
        path: '/v1/stripe/sync/manual',
        body,
        headers: { ...headersFor(tenants[worker]), 'Content-Type': 'application/json', 'Content-Length': body.length },
      };
    };
    const statusCall = (worker: number): HttpCall => ({
      method: 'GET',
      path: '/v1/stripe/sync/status',
      headers: headersFor(tenants[worker]),
    });
    const run = async (next: (worker: number, seq: number) => HttpCall, durationSeconds: number, expected: number): Promise<Phase> => {
      const before = sampleCpu(server.child.pid);
      const result = await closedLoop({
        baseUrl: server.url,
        concurrency: operators,
        durationMs: durationSeconds * 1000,
        next,
        accept: (answer) => answer.status === expected,
        onAccepted: (_call, answer) => {
          const id = (JSON.parse(answer.body) as { workflow_id?: string }).workflow_id;
          if (id) workflows.add(id);
        },
        abort: () => (exitedEarly(server) ? new Error(`sync-orchestrator exited:\n${server.output.slice(-20).join('\n')}`) : undefined),
      });
      return { result, figures: latencyFigures(result), cpu: cpuBetween(before, sampleCpu(server.child.pid)) };
    };

    const [load1] = loadAverage();
    if (warmup > 0) {
      await run(manualCall, warmup, 202);
      await run(statusCall, warmup, 200);
    }
    const manual = await run(manualCall, seconds, 202);
    const status = await run(statusCall, seconds, 200);

    const errorsOf = (phase: Phase): string =>
      phase.figures.errors === 0 ? '0' : `${phase.figures.errors} ${JSON.stringify(phase.result.errors).replace(/\|/g, '/')}`;
    const row = (name: string, phase: Phase): (string | number)[] => [
      name,
      phase.figures.rps,
      phase.figures.p50_ms,
      phase.figures.p95_ms,
      phase.figures.p99_ms,
      phase.figures.max_ms,
      errorsOf(phase),
      phase.cpu.server_pct ?? '?',
    ];
    publishReport({
      name: 'operator-api',
      title: 'Operator API under concurrent operators',
      command: `npm run bench:operator-api -- --seconds ${seconds} --operators ${operators} --warmup ${warmup}`,
      columns: ['endpoint', 'req/s', 'p50 ms', 'p95 ms', 'p99 ms', 'max ms', 'errors', 'server CPU % of a core'],
      rows: [row('POST /v1/stripe/sync/manual (202: started or joined)', manual), row('GET /v1/stripe/sync/status', status)],
      notes: [
        `${operators} concurrent operators (closed loop, each on a tenant of its own, operator token), ${seconds} s per endpoint after ${warmup} s warm-up; ` +
          `machine ${manual.cpu.machine_busy_pct ?? '?'} % / ${status.cpu.machine_busy_pct ?? '?'} % busy, load average ${load1} before the run (Postgres and Temporal share the 2 cores).`,
        `${workflows.size} manual-sync workflows started (three ranges per tenant; the other requests joined them), terminated afterwards.`,
      ],
    });
    if (manual.figures.errors + status.figures.errors > 0) process.exitCode = 1;
  } finally {
    await stopService(orchestrator);
    await terminate(env.TEMPORAL_ADDRESS, env.TEMPORAL_NAMESPACE, [...workflows]);
    await pool.end();
  }
}

/** No worker runs them: the benchmark's workflows are terminated so they do not linger on the stack's Temporal. */
async function terminate(address: string, namespace: string, workflowIds: string[]): Promise<void> {
  if (workflowIds.length === 0) return;
  const connection = await Connection.connect({ address });
  try {
    const client = new TemporalClient({ connection, namespace });
    for (let i = 0; i < workflowIds.length; i += 20) {
      await Promise.all(
        workflowIds.slice(i, i + 20).map((id) =>
          client.workflow
            .getHandle(id)
            .terminate('operator-api benchmark cleanup')
            .catch(() => undefined),
        ),
      );
    }
  } finally {
    await connection.close();
  }
}

main().catch((error: unknown) => {
  process.stderr.write(`${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  process.exit(1);
});
