import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import type { INestApplication } from '@nestjs/common';
import request from 'supertest';
import { loadConfig, createHttpService } from '@flexsync/runtime';
import { REPO_ROOT, eventually, stackEnv } from '@flexsync/testing';
import { SyncOrchestratorModule } from './app.module';
import { SyncOrchestratorConfig } from './sync-orchestrator.config';

function stack(...args: string[]): void {
  execFileSync('bash', [join(REPO_ROOT, 'tools', 'stack', 'stack.sh'), ...args], { stdio: 'pipe', timeout: 120_000 });
}

describe('readiness tells the truth about Postgres', () => {
  let app: INestApplication;

  beforeAll(async () => {
    const env = stackEnv();
    const config = loadConfig('sync-orchestrator', SyncOrchestratorConfig, {
      ...env,
      PORT: '0',
      LOG_LEVEL: 'silent',
      HEALTH_CHECK_TIMEOUT_MS: '1000',
    });
    app = await createHttpService({
      service: 'sync-orchestrator',
      module: SyncOrchestratorModule.register(config),
      host: '127.0.0.1',
      port: 0,
      bodyLimitBytes: config.HTTP_BODY_LIMIT_BYTES,
    });
    await app.init();
  });

  afterAll(async () => {
    stack('start-service', 'postgres');
    await app.close();
  });

  it('answers 200 while every dependency is up, 503 naming postgres while it is down, and 200 again after', async () => {
    const ready = await request(app.getHttpServer()).get('/health/ready');
    expect(ready.status).toBe(200);
    expect(ready.body.details).toEqual({ postgres: { status: 'up' }, temporal: { status: 'up' } });

    stack('stop-service', 'postgres');
    const down = await request(app.getHttpServer()).get('/health/ready');
    expect(down.status).toBe(503);
    expect(down.body.error.postgres.status).toBe('down');
    expect(down.body.details.temporal.status).toBe('up');
    expect((await request(app.getHttpServer()).get('/health/live')).status).toBe(200);

    stack('start-service', 'postgres');
    await eventually(async () => ((await request(app.getHttpServer()).get('/health/ready')).status === 200 ? true : undefined), {
      timeoutMs: 30_000,
      what: 'readiness to recover after Postgres restarts',
    });
  });
});
