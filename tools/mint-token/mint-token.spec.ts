import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { TenantTokenVerifier } from '@flexsync/auth';

const run = promisify(execFile);
const ROOT = join(__dirname, '..', '..');
const ENV = {
  PATH: process.env.PATH,
  AUTH_JWT_SECRET: 'mint-token-spec-secret-0123456789abcdef',
  AUTH_JWT_ISSUER: 'flexsync-dev',
  AUTH_JWT_AUDIENCE: 'flexsync-api',
};

function mint(args: string[], env: NodeJS.ProcessEnv = ENV): Promise<{ stdout: string; stderr: string }> {
  return run(process.execPath, [join(ROOT, 'tools/dev/run-ts.js'), join(ROOT, 'tools/mint-token/mint-token.ts'), ...args], {
    cwd: ROOT,
    env,
  });
}

describe('tools/mint-token', () => {
  const verifier = new TenantTokenVerifier({
    jwtSecret: ENV.AUTH_JWT_SECRET,
    issuer: ENV.AUTH_JWT_ISSUER,
    audience: ENV.AUTH_JWT_AUDIENCE,
  });

  it('prints a tenant-admin token the services accept', async () => {
    const { stdout } = await mint(['--tenant', 'tenant_demo', '--env', 'env_demo', '--env-allowed', 'env_other', '--ttl', '600']);
    const token = stdout.trim();
    await expect(verifier.authenticate(`Bearer ${token}`)).resolves.toEqual({
      actingAs: 'tenant_admin',
      tenantId: 'tenant_demo',
      environmentId: 'env_demo',
      subject: 'dev:tenant_demo',
      roles: ['tenant_admin'],
    });
    await expect(verifier.authenticate(`Bearer ${token}`, 'env_other')).resolves.toMatchObject({ environmentId: 'env_other' });
  }, 30_000);

  it('mints other roles on request, which the services refuse with 403', async () => {
    const { stdout } = await mint(['--tenant', 'tenant_demo', '--env', 'env_demo', '--role', 'viewer']);
    await expect(verifier.authenticate(`Bearer ${stdout.trim()}`)).rejects.toMatchObject({ code: 'AUTH.FORBIDDEN' });
  }, 30_000);

  it('mints an operator token (no tenant claims) that admits operator routes for the tenant a request names', async () => {
    const { stdout } = await mint(['--operator', '--sub', 'ops@flexprice', '--ttl', '600']);
    await expect(
      verifier.authenticate(`Bearer ${stdout.trim()}`, 'env_b', { allowOperator: true, tenantHeader: 'tenant_b' }),
    ).resolves.toMatchObject({ tenantId: 'tenant_b', environmentId: 'env_b', subject: 'ops@flexprice', actingAs: 'operator' });
    await expect(verifier.authenticate(`Bearer ${stdout.trim()}`)).rejects.toMatchObject({ code: 'AUTH.FORBIDDEN' });
  }, 30_000);

  it('refuses an operator token without --sub (operators are audited by it) and a ttl past the maximum token age', async () => {
    await expect(mint(['--operator'])).rejects.toMatchObject({ code: 2, stderr: expect.stringContaining('--sub') });
    await expect(mint(['--tenant', 't', '--env', 'e', '--ttl', '90000'])).rejects.toMatchObject({
      code: 2,
      stderr: expect.stringContaining('AUTH_JWT_MAX_AGE_SECONDS'),
    });
    const { stdout } = await mint(['--tenant', 't', '--env', 'e', '--ttl', '90000'], { ...ENV, AUTH_JWT_MAX_AGE_SECONDS: '172800' });
    expect(stdout.trim().split('.')).toHaveLength(3);
  }, 30_000);

  it('exits 2 with usage when tenant or environment is missing', async () => {
    await expect(mint(['--tenant', 'tenant_demo'])).rejects.toMatchObject({ code: 2, stderr: expect.stringContaining('usage:') });
  }, 30_000);

  it('exits 1 naming the missing settings when the auth environment is not set', async () => {
    await expect(mint(['--tenant', 't', '--env', 'e'], { PATH: process.env.PATH })).rejects.toMatchObject({
      code: 1,
      stderr: expect.stringContaining('AUTH_JWT_SECRET must be set'),
    });
  }, 30_000);
});
