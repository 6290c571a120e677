import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { REPO_ROOT } from '@flexsync/testing';

const SERVICES = ['config-service', 'mapping-service', 'webhook-ingest', 'sync-orchestrator', 'sync-worker'];

function start(service: string, env: Record<string, string>): { status: number | null; stderr: string } {
  const result = spawnSync(process.execPath, [join(REPO_ROOT, 'tools', 'dev', 'run-ts.js'), join(REPO_ROOT, 'apps', service, 'src', 'main.ts')], {
    env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', ...env },
    encoding: 'utf8',
    timeout: 60_000,
  });
  return { status: result.status, stderr: result.stderr };
}

describe('services refuse to start on bad configuration', () => {
  it.each(SERVICES)('%s exits 1 naming every missing or malformed key at once', (service) => {
    const { status, stderr } = start(service, { DATABASE_URL: 'not-a-url', PORT: 'eighty' });
    expect(status).toBe(1);
    expect(stderr).toContain(`${service}: invalid configuration`);
    expect(stderr).toMatch(/- DATABASE_URL: .*postgres:\/\/ URL/);
    expect(stderr).toMatch(/- PORT: /);
  });

  it('sync-worker reports a malformed ClickHouse URL and a missing Temporal address in one message', () => {
    const { status, stderr } = start('sync-worker', { DATABASE_URL: 'postgres://127.0.0.1:1/x', CLICKHOUSE_URL: 'ftp://nope' });
    expect(status).toBe(1);
    expect(stderr).toMatch(/- CLICKHOUSE_URL: .*http\(s\):\/\/ URL/);
    expect(stderr).toMatch(/- TEMPORAL_ADDRESS: /);
    expect(stderr).not.toMatch(/- DATABASE_URL/);
  });
});
