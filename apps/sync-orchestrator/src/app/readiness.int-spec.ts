import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { REPO_ROOT, eventually } from '@flexsync/testing';
import { RunningOrchestrator, startOrchestrator } from '../testing/sync-orchestrator.harness';

function stack(...args: string[]): void {
  execFileSync('bash', [join(REPO_ROOT, 'tools', 'stack', 'stack.sh'), ...args], { stdio: 'pipe', timeout: 120_000 });
}

describe('readiness tells the truth about Postgres', () => {
  let orchestrator: RunningOrchestrator;

  beforeAll(async () => {
    orchestrator = await startOrchestrator({ HEALTH_CHECK_TIMEOUT_MS: '1000' });
  });

  afterAll(async () => {
    stack('start-service', 'postgres');
    await orchestrator.close();
  });

  it('answers 200 while every dependency is up, 503 naming postgres while it is down, and 200 again after', async () => {
    const ready = await orchestrator.http.get('/health/ready');
    expect(ready.status).toBe(200);
    expect(ready.body.details).toEqual({ postgres: { status: 'up' }, temporal: { status: 'up' } });

    stack('stop-service', 'postgres');
    const down = await orchestrator.http.get('/health/ready');
    expect(down.status).toBe(503);
    expect(down.body.error.postgres.status).toBe('down');
    expect(down.body.details.temporal.status).toBe('up');
    expect((await orchestrator.http.get('/health/live')).status).toBe(200);

    stack('start-service', 'postgres');
    await eventually(async () => ((await orchestrator.http.get('/health/ready')).status === 200 ? true : undefined), {
      timeoutMs: 30_000,
      what: 'readiness to recover after Postgres restarts',
    });
  });
});
