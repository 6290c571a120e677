import { spawn, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { eventually, freePort, REPO_ROOT, stackEnv } from '@flexsync/testing';

const SERVICES = ['config-service', 'mapping-service', 'webhook-ingest', 'sync-orchestrator', 'sync-worker'];

/** Required settings (secrets among them) each service must name when they are missing: none has a default. */
const REQUIRED: Record<string, string[]> = {
  'config-service': [
    'FLEXSYNC_ENCRYPTION_KEYS',
    'FLEXSYNC_ENCRYPTION_CURRENT_KEY_ID',
    'AUTH_JWT_SECRET',
    'AUTH_JWT_ISSUER',
    'AUTH_JWT_AUDIENCE',
  ],
  'mapping-service': [
    'KAFKA_BROKERS',
    'AUTH_JWT_SECRET',
    'AUTH_JWT_ISSUER',
    'AUTH_JWT_AUDIENCE',
    'FLEXSYNC_ENCRYPTION_KEYS',
    'FLEXSYNC_ENCRYPTION_CURRENT_KEY_ID',
  ],
  'webhook-ingest': ['KAFKA_BROKERS', 'FLEXSYNC_ENCRYPTION_KEYS', 'FLEXSYNC_ENCRYPTION_CURRENT_KEY_ID'],
  'sync-orchestrator': ['TEMPORAL_ADDRESS', 'AUTH_JWT_SECRET', 'AUTH_JWT_ISSUER', 'AUTH_JWT_AUDIENCE'],
  'sync-worker': ['CLICKHOUSE_URL', 'TEMPORAL_ADDRESS', 'KAFKA_BROKERS', 'FLEXSYNC_ENCRYPTION_KEYS', 'FLEXSYNC_ENCRYPTION_CURRENT_KEY_ID'],
};

function start(service: string, env: Record<string, string>): { status: number | null; stderr: string } {
  const result = spawnSync(
    process.execPath,
    [join(REPO_ROOT, 'tools', 'dev', 'run-ts.js'), join(REPO_ROOT, 'apps', service, 'src', 'main.ts')],
    {
      env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', ...env },
      encoding: 'utf8',
      timeout: 60_000,
    },
  );
  return { status: result.status, stderr: result.stderr };
}

describe('services refuse to start on bad configuration', () => {
  it.each(SERVICES)('%s exits 1 naming every missing or malformed key at once', (service) => {
    const { status, stderr } = start(service, { DATABASE_URL: 'not-a-url', PORT: 'eighty' });
    expect(status).toBe(1);
    expect(stderr).toContain(`${service}: invalid configuration`);
    expect(stderr).toMatch(/- DATABASE_URL: .*postgres:\/\/ URL/);
    expect(stderr).toMatch(/- PORT: /);
    for (const key of REQUIRED[service]) expect(stderr).toContain(`- ${key}: `);
  });

  it('sync-worker reports a malformed ClickHouse URL and a missing Temporal address in one message', () => {
    const { status, stderr } = start('sync-worker', { DATABASE_URL: 'postgres://127.0.0.1:1/x', CLICKHOUSE_URL: 'ftp://nope' });
    expect(status).toBe(1);
    expect(stderr).toMatch(/- CLICKHOUSE_URL: .*http\(s\):\/\/ URL/);
    expect(stderr).toMatch(/- TEMPORAL_ADDRESS: /);
    expect(stderr).not.toMatch(/- DATABASE_URL/);
  });
});

describe('graceful shutdown', () => {
  it('sync-worker becomes ready, then on SIGTERM drains its Temporal worker and stops', async () => {
    const port = await freePort();
    const child = spawn(
      process.execPath,
      [join(REPO_ROOT, 'tools', 'dev', 'run-ts.js'), join(REPO_ROOT, 'apps', 'sync-worker', 'src', 'main.ts')],
      {
        env: {
          ...process.env,
          ...stackEnv(),
          PORT: String(port),
          LOG_LEVEL: 'info',
          FLEXSYNC_ENCRYPTION_KEYS: `k1:${randomBytes(32).toString('base64')}`,
          FLEXSYNC_ENCRYPTION_CURRENT_KEY_ID: 'k1',
          // A queue of its own: this worker must not pick up other specs' workflows.
          TEMPORAL_TASK_QUEUE: `stripe-sync-shutdown-test-${process.pid}`,
        },
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
    // 'close', not 'exit': only then has all of its output been read (at 'exit' the last lines may still be in the pipe).
    const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
      child.on('close', (code, signal) => resolve({ code, signal })),
    );
    try {
      await eventually(
        async () => {
          const response = await fetch(`http://127.0.0.1:${port}/health/ready`);
          return response.status === 200 ? true : undefined;
        },
        { timeoutMs: 60_000, what: 'sync-worker readiness' },
      ).catch((error: Error) => {
        throw new Error(`${error.message}; its output:\n${output.slice(-3000)}`);
      });
      const stoppedAt = Date.now();
      child.kill('SIGTERM');
      // Nest re-raises the signal once its shutdown hooks have run, so a clean stop ends by SIGTERM, not a crash code.
      const { code, signal } = await exited;
      const outcome = {
        stoppedCleanly: code === 0 || signal === 'SIGTERM',
        withinSeconds: Date.now() - stoppedAt < 15_000,
        polled: output.includes('temporal worker polling'),
        drained: output.includes('temporal worker drained and stopped'),
      };
      if (!Object.values(outcome).every(Boolean)) console.log(`exit ${code} / ${signal}; sync-worker output:\n${output.slice(-4000)}`);
      expect(outcome).toEqual({ stoppedCleanly: true, withinSeconds: true, polled: true, drained: true });
    } finally {
      child.kill('SIGKILL');
    }
  });
});
